"""The operator's IAM policy, generated from the permissions the code declares.

The actions are every reconciler's (`RECONCILERS`: each one's `iam_actions`, its checks' and
its own) and the AWS layer's own (`LAYER_IAM_ACTIONS`: AssumeRole, DescribeRegions). Reads
(Describe*, Get*, List*) are allowed on any resource in one statement, unless a component
scopes them; every other action only as the component that calls it scopes it
(`Reconciler.grants`: resources and condition, one statement each). Nothing is listed here by
hand but AssumeRole's statement. scripts/generate-iam-policy writes it to deploy/iam/; the
sandbox's aws profile gives it to the operator's role in each account and enforces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gdpr_operator.aws import LAYER_IAM_ACTIONS, is_read_action
from gdpr_operator.model.grants import Grant

from ._registry import RECONCILERS

ASSUME_ROLES = Grant(
    sid="AssumeAccountRoles",
    actions=frozenset({"sts:AssumeRole"}),
    resources=("arn:aws:iam::*:role/*",),
    why="roles only: the member roles are AwsAccount fields (assumeRole.roleArn), chosen by "
    "cluster administrators; narrow it to yours (below). Each role's trust policy demands "
    "its ExternalId",
)
READ_SID = "ReadTheEstate"


def declared_actions() -> frozenset[str]:
    """Every IAM action the operator's code says it calls."""
    return frozenset(LAYER_IAM_ACTIONS).union(
        *(reconciler.iam_actions for reconciler in RECONCILERS)
    )


def grants() -> list[Grant]:
    """The write statements, as the components declare them, each once (components that
    share a statement declare the same Grant)."""
    found: dict[str, Grant] = {}
    for grant in (ASSUME_ROLES, *(g for reconciler in RECONCILERS for g in reconciler.grants)):
        if found.setdefault(grant.sid, grant) != grant:
            raise ValueError(f"two different grants are called {grant.sid}")
    return list(found.values())


def operator_policy(actions: Iterable[str] | None = None) -> dict[str, Any]:
    """The policy allowing `actions` (default: every declared one): every action a Grant
    declares as that Grant scopes it, the other reads on any resource. A write without a
    Grant is an error: declare one."""
    wanted = set(declared_actions() if actions is None else actions)
    written = grants()
    covered = {action for grant in written for action in grant.actions}
    unscoped = sorted(a for a in wanted - covered if not is_read_action(a))
    if unscoped:
        raise ValueError(f"write actions without a Grant: {unscoped}")
    reads = sorted(a for a in wanted - covered if is_read_action(a))
    statements: list[dict[str, Any]] = [written[0].statement()]
    statements.append({"Sid": READ_SID, "Effect": "Allow", "Action": reads, "Resource": "*"})
    statements += [grant.statement() for grant in written[1:] if grant.actions & wanted]
    return {"Version": "2012-10-17", "Statement": statements}
