"""The sandbox's accounts: each reachable from the default one through an operator role
(the operator's generated policies attached, as customer-managed policies of the account)
and an administrator role (allowed everything), which sets estates up and changes them
behind the operator's back."""

from __future__ import annotations

import json

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from gdpr_operator.aws import AccountAccess
from gdpr_operator.reconcilers import operator_policies

OPERATOR_ROLE = "gdpr-operator"
ADMIN_ROLE = "gdpr-sandbox-admin"
_ALLOW_ALL: dict[str, object] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def operator_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{OPERATOR_ROLE}"


def admin_role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}"


def default_account_trust(external_id: str | None = None) -> str:
    """A role trust policy letting the sandbox's default account (any credentials) assume
    the role, with an ExternalId condition when given."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ensure_operator_role(account_id: str, external_id: str | None = None) -> None:
    """Create `gdpr-operator` in the account, trusting the sandbox's default account, with an
    ExternalId condition when given, and the operator's policies made in the account and
    attached to it (deploy/iam/README.md's commands); and `gdpr-sandbox-admin`, trusting the
    default account, allowed everything (inline)."""
    if _ensure_role(account_id, OPERATOR_ROLE, external_id):
        iam = iam_backends[account_id]["aws"]
        for name, policy in operator_policies().items():
            made = iam.create_policy(
                description=f"{name} (sandbox)",
                path="/",
                policy_document=json.dumps(policy),
                policy_name=name,
                tags=[],
            )
            iam.attach_role_policy(made.arn, OPERATOR_ROLE)
    _ensure_inline_role(account_id, ADMIN_ROLE, _ALLOW_ALL)


def _ensure_inline_role(account_id: str, name: str, policy: dict[str, object]) -> None:
    """The role `name`, trusting the default account, `policy` its inline policy."""
    if _ensure_role(account_id, name):
        iam_backends[account_id]["aws"].put_role_policy(name, name, json.dumps(policy))


def _ensure_role(account_id: str, name: str, external_id: str | None = None) -> bool:
    """The role `name`, trusting the default account; True when it was just created.
    Through moto's IAM backend: creating it through the API would need credentials in that
    account, which only such a role gives."""
    iam = iam_backends[account_id]["aws"]
    if any(role.name == name for role in iam.roles.values()):
        return False
    iam.create_role(
        role_name=name,
        assume_role_policy_document=default_account_trust(external_id),
        path="/",
        permissions_boundary=None,
        description=f"{name} (sandbox)",
        tags=[],
        max_session_duration="3600",
    )
    return True


def other_principal(account_id: str, session: str, role: str = "Admin") -> AccountAccess:
    """Someone other than the operator in a sandbox account: `role` (created first, trusting
    the default account, allowed everything) assumed as `session`; its calls' events name
    arn:aws:sts::<account>:assumed-role/<role>/<session>."""
    _ensure_inline_role(account_id, role, _ALLOW_ALL)
    return AccountAccess(
        name=f"{role}/{session}",
        account_id=account_id,
        role_arn=f"arn:aws:iam::{account_id}:role/{role}",
        session_name=session,
    )


def operator_access(name: str, account_id: str, external_id: str | None = None) -> AccountAccess:
    """How the operator reaches a sandbox account (its role created first)."""
    ensure_operator_role(account_id, external_id)
    return AccountAccess(
        name=name,
        account_id=account_id,
        role_arn=operator_role_arn(account_id),
        external_id=external_id,
    )
