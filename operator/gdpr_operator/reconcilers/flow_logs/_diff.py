"""Flow logs as declared: the delivery role's documents, what is wrong with a VPC, its log
group and the role, and the calls that repair them. Pure.

A VPC is compliant with one active, delivering flow log of the VPC itself: the operator's
as declared (to the flow log group, through its role, of the spec's traffic type), or
anyone else's (which the operator never changes or deletes, and does not duplicate). An
operator's flow log that is not as declared, or does not deliver, is replaced: flow logs
cannot be modified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import tag_list
from gdpr_operator.model import LogsSpec
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._tags import IAM_PATH, managed_by_operator
from gdpr_operator.reconcilers.flow_logs._checks import DELIVERY_SERVICE, ROLE_NAME
from gdpr_operator.reconcilers.flow_logs._flow_log import (
    CLOUD_WATCH_LOGS,
    FlowLog,
    flow_log_problem,
)
from gdpr_operator.reconcilers.log_groups import LogGroup, encryption_problem, retention_problem

GROUP_SUFFIX = "/vpc-flow-logs"

Call = tuple[str, dict[str, Any]]
"""(operation, parameters) of one AWS call."""


def group_name(logs: LogsSpec) -> str:
    """One group per account-region for every VPC: one retention and key to keep, and a
    flow log's records name their interface (and the flow log names its VPC)."""
    return logs.group_prefix.rstrip("/") + GROUP_SUFFIX


def role_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role{IAM_PATH}{ROLE_NAME}"


def trust_policy(account_id: str) -> dict[str, Any]:
    """VPC Flow Logs may assume the role, for this account's flow logs only (the
    confused-deputy guard AWS documents for it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": DELIVERY_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


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


@dataclass(frozen=True, slots=True)
class DeliveryRole:
    """The role of ROLE_NAME, as GetRole and GetRolePolicy (of this group's policy) tell."""

    path: str
    tags: Mapping[str, str]
    trust: Mapping[str, Any]
    policy: Mapping[str, Any] | None = None
    """The group's inline policy; None when the role has none of that name."""

    @property
    def owned(self) -> bool:
        """The operator's: under its path and tagged (what its IAM policy lets it change)."""
        return self.path == IAM_PATH and managed_by_operator(self.tags)


def role_not_owned(role: DeliveryRole | None) -> str | None:
    if role is None or role.owned:
        return None
    return (
        f"role {ROLE_NAME} exists and is not the operator's (not under {IAM_PATH} with its "
        "gdpr-operator tag): no flow log is created through it; delete or rename it to let "
        "the operator make its own"
    )


def role_problem(role: DeliveryRole | None, account_id: str, group: str) -> str | None:
    if role is None:
        return f"role {ROLE_NAME} does not exist"
    wrong = []
    if not same_policy(role.trust, trust_policy(account_id)):
        wrong.append(f"role {ROLE_NAME} does not trust {DELIVERY_SERVICE} for this account only")
    if role.policy is None or not same_policy(role.policy, delivery_policy(account_id, group)):
        wrong.append(f"role {ROLE_NAME} does not allow delivery to {group} (and only that)")
    return "; ".join(wrong) or None


def role_repair(
    role: DeliveryRole | None, account_id: str, group: str, tags: Mapping[str, str]
) -> list[Call]:
    """IAM calls, in order, that make the role as declared (none for a role not owned)."""
    if role is not None and not role.owned:
        return []
    trust = json.dumps(trust_policy(account_id))
    policy = {
        "RoleName": ROLE_NAME,
        "PolicyName": policy_name(group),
        "PolicyDocument": json.dumps(delivery_policy(account_id, group)),
    }
    calls: list[Call] = []
    if role is None:
        calls.append(
            (
                "create_role",
                {
                    "RoleName": ROLE_NAME,
                    "Path": IAM_PATH,
                    "AssumeRolePolicyDocument": trust,
                    "Description": "gdpr-operator: delivers VPC flow logs to CloudWatch Logs",
                    "Tags": tag_list(tags),
                },
            )
        )
    elif not same_policy(role.trust, trust_policy(account_id)):
        calls.append(
            ("update_assume_role_policy", {"RoleName": ROLE_NAME, "PolicyDocument": trust})
        )
    if (
        role is None
        or role.policy is None
        or not same_policy(role.policy, delivery_policy(account_id, group))
    ):
        calls.append(("put_role_policy", policy))
    return calls


def group_problem(logs: LogsSpec, group: LogGroup | None) -> str | None:
    """The flow log group's retention and KMS key, as the LogGroups component keeps them."""
    wrong = [retention_problem(logs.retention_days, group)]
    if group is not None and logs.kms_key_arn:
        wrong.append(encryption_problem(logs.kms_key_arn, group))
    return "; ".join(problem for problem in wrong if problem) or None


@dataclass(frozen=True, slots=True)
class Declared:
    """What the operator's flow logs are: where they deliver, through what, recording what."""

    group: str
    role_arn: str
    traffic_type: str


@dataclass(frozen=True, slots=True)
class VpcPlan:
    """A VPC's verdict and, when it is not compliant, what repairs it."""

    vpc_id: str
    problem: str | None
    note: str = "compliant"
    """The reason given when compliant."""
    replace: tuple[str, ...] = ()
    """The operator's flow logs of the VPC to delete before one as declared is created."""


def plan_vpc(vpc_id: str, flow_logs: Sequence[FlowLog], declared: Declared) -> VpcPlan:
    """What to do about one VPC, given the flow logs of the VPC itself."""
    own = [log for log in flow_logs if log.own]
    kept = next((log for log in own if _working(log) and _as_declared(log, declared)), None)
    if kept is not None:
        return VpcPlan(vpc_id, None, f"flow log {kept.id} delivers to {declared.group}")
    other = next((log for log in flow_logs if not log.own and _working(log)), None)
    if other is not None:
        return VpcPlan(
            vpc_id,
            None,
            f"flow log {other.id} (not the operator's) delivers: left as it is, none created",
        )
    wrong = [_flow_log_problem(log, declared) for log in flow_logs]
    return VpcPlan(
        vpc_id,
        "; ".join(wrong) or "no flow log",
        replace=tuple(log.id for log in own),
    )


def _working(log: FlowLog) -> bool:
    return flow_log_problem(log) is None


def _as_declared(log: FlowLog, declared: Declared) -> bool:
    return (
        log.destination_type == CLOUD_WATCH_LOGS
        and log.group == declared.group
        and log.role_arn == declared.role_arn
        and log.traffic_type == declared.traffic_type
    )


def _flow_log_problem(log: FlowLog, declared: Declared) -> str:
    problem = flow_log_problem(log)
    if problem is not None:
        return problem
    # Only the operator's can be working but wrong: someone else's working one is compliant.
    return (
        f"flow log {log.id} of the operator's is not as declared (it delivers to "
        f"{log.group or log.destination_type}, {log.traffic_type}, through {log.role_arn}; "
        f"the spec asks for {declared.group}, {declared.traffic_type})"
    )


def vpc_plans(
    vpc_ids: Sequence[str], flow_logs: Sequence[FlowLog], declared: Declared
) -> list[VpcPlan]:
    """One plan per VPC, in VPC id order."""
    return [
        plan_vpc(vpc_id, [log for log in flow_logs if log.resource_id == vpc_id], declared)
        for vpc_id in sorted(vpc_ids)
    ]


def create_flow_log(vpc_id: str, declared: Declared, tags: Mapping[str, str]) -> dict[str, Any]:
    """CreateFlowLogs' parameters for one VPC, tagged as the operator's."""
    return {
        "ResourceIds": [vpc_id],
        "ResourceType": "VPC",
        "TrafficType": declared.traffic_type,
        "LogDestinationType": CLOUD_WATCH_LOGS,
        "LogGroupName": declared.group,
        "DeliverLogsPermissionArn": declared.role_arn,
        "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": tag_list(tags)}],
    }
