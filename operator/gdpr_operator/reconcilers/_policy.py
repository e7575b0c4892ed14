"""The operator's IAM policies, generated from the permissions the code declares.

One customer-managed policy per component package (`gdpr_operator.reconcilers.<package>`:
guardduty, instance_profiles, ..., audit, drift_events), holding what the reconcilers defined
in it call, and one for the AWS layer (`access`: AssumeRole of the member roles and the
layer's own reads, `LAYER_IAM_ACTIONS`). A package is where a component's code lives, so the
grouping needs no list of its own, and each policy is whole for its components: one the
estate does not use can be left unattached. A role's inline policies share 10,240
characters; each managed policy has 6,144 of its own.

In each, the reads (Describe*, Get*, List*) are allowed on any resource in one statement,
unless a component scopes them; every other action only as the component that calls it
scopes it (`Reconciler.grants`: resources and condition, one statement each). Nothing is
listed here by hand but AssumeRole's statement. scripts/generate-iam-policy writes them to
deploy/iam/; the sandbox's aws profile attaches them to the operator's role in each account
and enforces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gdpr_operator.aws import LAYER_IAM_ACTIONS, is_read_action
from gdpr_operator.model.grants import Grant

from ._base import Reconciler
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
ACCESS_GROUP = "access"
"""The AWS layer's policy: what every installation needs, whatever components it runs."""
POLICY_PREFIX = "gdpr-operator-policy-"
"""Each policy's name (and, with .json, its file in deploy/iam/) is this and its group."""


def declared_actions() -> frozenset[str]:
    """Every IAM action the operator's code says it calls."""
    return frozenset(LAYER_IAM_ACTIONS).union(
        *(reconciler.iam_actions for reconciler in RECONCILERS)
    )


def policy_group(reconciler: Reconciler) -> str:
    """The policy a component's permissions go to: its package (flow_logs: flow-logs)."""
    package = type(reconciler).__module__.removeprefix(f"{__package__}.").split(".")[0]
    return package.replace("_", "-")


def grants() -> list[Grant]:
    """The write statements, as the components declare them, each once (components that
    share a statement declare the same Grant)."""
    return _unique((ASSUME_ROLES, *(g for reconciler in RECONCILERS for g in reconciler.grants)))


def _unique(declared: Iterable[Grant]) -> list[Grant]:
    found: dict[str, Grant] = {}
    for grant in declared:
        if found.setdefault(grant.sid, grant) != grant:
            raise ValueError(f"two different grants are called {grant.sid}")
    return list(found.values())


def operator_policies() -> dict[str, dict[str, Any]]:
    """The policies by name (`POLICY_PREFIX` and group): the AWS layer's first, then each
    component package's, in the order of `RECONCILERS`."""
    scoped = {action for grant in grants() for action in grant.actions}
    groups: dict[str, tuple[set[str], list[Grant]]] = {
        ACCESS_GROUP: (set(LAYER_IAM_ACTIONS), [ASSUME_ROLES])
    }
    for reconciler in RECONCILERS:
        actions, declared = groups.setdefault(policy_group(reconciler), (set(), []))
        actions.update(reconciler.iam_actions)
        declared.extend(reconciler.grants)
    return {
        f"{POLICY_PREFIX}{group}": _policy(group, actions, _unique(declared), scoped)
        for group, (actions, declared) in groups.items()
    }


def _policy(
    group: str, wanted: set[str], written: Sequence[Grant], scoped: set[str]
) -> dict[str, Any]:
    """The policy allowing `wanted`: every action a Grant of the group declares as that
    Grant scopes it, the other reads on any resource. A write without a Grant, or a read
    another group's Grant scopes, is an error: declare the Grant in this group."""
    covered = {action for grant in written for action in grant.actions}
    uncovered = sorted(a for a in wanted - covered if not is_read_action(a) or a in scoped)
    if uncovered:
        raise ValueError(f"{group}: actions without a Grant of its own: {uncovered}")
    reads = sorted(wanted - covered)
    statements: list[dict[str, Any]] = (
        [{"Sid": READ_SID, "Effect": "Allow", "Action": reads, "Resource": "*"}] if reads else []
    )
    statements += [grant.statement() for grant in written if grant.actions & wanted]
    return {"Version": "2012-10-17", "Statement": statements}
