"""The flow logs' delivery role: its documents, what is wrong with it and the IAM calls that
make it as declared. Pure.

The role is the operator's when it is under its IAM path and tagged; one of that name that
is not is reported and left as it is, and no flow log is created through it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._service_roles import (
    DeclaredRole,
    ServiceRole,
    role_calls,
    service_role_arn,
    service_trust,
)
from gdpr_operator.reconcilers._tags import IAM_PATH
from gdpr_operator.reconcilers.flow_logs._checks import DELIVERY_ROLE, DELIVERY_SERVICE, ROLE_NAME

NOT_OWNED = "left as it is"
"""What the role's failing result adds when the role is not the operator's."""


def role_arn(account_id: str) -> str:
    return service_role_arn(account_id, ROLE_NAME)


def trust_policy(account_id: str) -> dict[str, Any]:
    """VPC Flow Logs may assume the role, for this account's flow logs only."""
    return service_trust(DELIVERY_SERVICE, account_id)


def delivery_policy(account_id: str, group: str) -> dict[str, Any]:
    """What the role may do: write the flow log group's streams, nothing else."""
    arn = f"arn:aws:logs:*:{account_id}:log-group:{group}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [arn, f"{arn}:*"],
            }
        ],
    }


def policy_name(group: str) -> str:
    """The role's inline policy for one group: GdprMonitorings with other prefixes share the
    role, each with its own policy (a hash, as a group name may hold characters a policy
    name may not)."""
    return f"deliver-{hashlib.sha256(group.encode()).hexdigest()[:16]}"


def role_not_owned(role: ServiceRole | None) -> str | None:
    if role is None or role.owned:
        return None
    return (
        f"role {ROLE_NAME} exists and is not the operator's (not under {IAM_PATH} with its "
        "gdpr-operator tag): no flow log is created through it; delete or rename it to let "
        "the operator make its own"
    )


def role_problem(role: ServiceRole | None, account_id: str, group: str) -> str | None:
    if role is None:
        return f"role {ROLE_NAME} does not exist"
    wrong = []
    if not same_policy(role.trust, trust_policy(account_id)):
        wrong.append(f"role {ROLE_NAME} does not trust {DELIVERY_SERVICE} for this account only")
    if role.policy is None or not same_policy(role.policy, delivery_policy(account_id, group)):
        wrong.append(f"role {ROLE_NAME} does not allow delivery to {group} (and only that)")
    return "; ".join(wrong) or None


def role_repair(
    role: ServiceRole | None, account_id: str, group: str, tags: Mapping[str, str]
) -> tuple[Call, ...]:
    """IAM calls, in order, that make the role as declared (none for a role not owned)."""
    if role is not None and not role.owned:
        return ()
    declared = DeclaredRole(
        name=ROLE_NAME,
        description="gdpr-operator: delivers VPC flow logs to CloudWatch Logs",
        trust=trust_policy(account_id),
        policy_name=policy_name(group),
        policy=delivery_policy(account_id, group),
    )
    return tuple(role_calls(role, declared, tags))


def role_delta(
    role: ServiceRole | None,
    account_id: str,
    group: str,
    tags: Mapping[str, str],
    *,
    enforce: bool,
) -> Delta:
    """iam.flow_logs_role: the role as read (None: there is none) and the IAM calls that make
    it as declared. The result names the role once it exists, or once Enforce creates it."""
    calls = role_repair(role, account_id, group, tags)
    refusal = role_not_owned(role)
    return Delta(
        resource=ROLE_NAME if role is not None or (calls and enforce) else "",
        problems={DELIVERY_ROLE: refusal or role_problem(role, account_id, group)},
        calls=calls,
        left_alone=NOT_OWNED if refusal else "",
    )
