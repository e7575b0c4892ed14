"""IAM enforcement of the sandbox's aws profile: a request signed with an assumed role's
credentials is allowed only as that role's identity policies (inline and managed, read from
moto's IAM state) allow everything it needs (`_iam_context`), as AWS decides it
(`_iam_eval`). Requests signed with an account's own credentials act as its root, which no
identity policy restricts, as in AWS: the sandbox's default credentials, used to set up
estates, are never refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from ._iam_context import Call, authorizations
from ._iam_eval import Authorization, Decision, decide


@dataclass(frozen=True, slots=True)
class Refusal:
    """What IAM refused: the first authorization a call needed that its policies deny."""

    authorization: Authorization
    decision: Decision


def refusal(call: Call) -> Refusal | None:
    """Why IAM refuses `call`, or None when it allows it (or does not restrict its caller)."""
    policies = caller_policies(call.request.account, call.request.access_key)
    if policies is None:
        return None
    for needed in authorizations(call):
        decision = decide(policies, needed)
        if decision is not Decision.ALLOW:
            return Refusal(needed, decision)
    return None


def caller_policies(account: str, access_key: str) -> list[dict[str, Any]] | None:
    """The identity policies of the role whose session signed with `access_key`; None when
    the key is not an assumed role's."""
    session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if session is None:
        return None
    iam = iam_backends[account]["aws"]
    role = next((r for r in iam.roles.values() if r.arn == session.role_arn), None)
    if role is None:
        return []
    documents = list(role.policies.values()) + [
        next(v.document for v in policy.versions if v.is_default)
        for policy in role.managed_policies.values()
    ]
    return [json.loads(document) for document in documents]
