"""Flow logs as declared: what is wrong with the flow log group and with each VPC in scope,
and the calls that repair them. Pure.

A VPC is compliant with one active, delivering flow log of the VPC itself: the operator's
as declared (to the flow log group, through its role, of the spec's traffic type), or
anyone else's (which the operator never changes or deletes, and does not duplicate). An
operator's flow log that is not as declared, or does not deliver, is replaced: flow logs
cannot be modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import tag_list
from gdpr_operator.model import LogsSpec
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._service_roles import ServiceRole
from gdpr_operator.reconcilers._vpcs import CLOUD_WATCH_LOGS, FlowLog, flow_log_problem
from gdpr_operator.reconcilers.flow_logs._checks import DELIVERY, FLOW_LOG_GROUP, ROLE_NAME
from gdpr_operator.reconcilers.flow_logs._role import role_not_owned
from gdpr_operator.reconcilers.log_groups import (
    LogGroup,
    encryption_problem,
    repairs,
    retention_problem,
)

GROUP_SUFFIX = "/vpc-flow-logs"


def group_name(logs: LogsSpec) -> str:
    """One group per account-region for every VPC: one retention and key to keep, and a
    flow log's records name their interface (and the flow log names its VPC)."""
    return logs.group_prefix.rstrip("/") + GROUP_SUFFIX


def group_problem(logs: LogsSpec, group: LogGroup | None) -> str | None:
    """The flow log group's retention and KMS key, as the LogGroups component keeps them."""
    wrong = [retention_problem(logs.retention_days, group)]
    if group is not None and logs.kms_key_arn:
        wrong.append(encryption_problem(logs.kms_key_arn, group))
    return "; ".join(problem for problem in wrong if problem) or None


def group_delta(
    group: str, logs: LogsSpec, found: LogGroup | None, tags: Mapping[str, str]
) -> Delta:
    """vpc.flow_logs_group: the group created with (and kept at) the spec's retention and
    KMS key, by the calls the LogGroups component makes for its own groups."""
    return Delta(
        group,
        {FLOW_LOG_GROUP: group_problem(logs, found)},
        calls=repairs(group, logs, found, tags),
    )


@dataclass(frozen=True, slots=True)
class Declared:
    """What the operator's flow logs are: where they deliver, through what, recording what."""

    group: str
    role_arn: str
    traffic_type: str


def delivery_blocked(role: ServiceRole | None, *, enforce: bool) -> tuple[str, bool]:
    """Why no flow log can be created now ("" when one can), and whether no pass will create
    one as things are (the VPC is then left alone).

    A flow log is only created through the operator's own role, once it exists: one not its
    own is never repaired; a missing one is made by the account component first, so under
    Enforce it is missing only when that failed (and a later pass repairs it, after the
    role); under Observe the next Enforce pass would."""
    refusal = role_not_owned(role)
    if refusal is not None:
        return refusal, True
    if role is None:
        return f"its delivery role {ROLE_NAME} does not exist", enforce
    return "", False


def vpc_delta(
    vpc_id: str,
    flow_logs: Sequence[FlowLog],
    declared: Declared,
    tags: Mapping[str, str],
    *,
    blocked: str = "",
    alone: bool = False,
) -> Delta:
    """vpc.flow_logs_delivery for one VPC, given the flow logs of the VPC itself: compliant
    by a working flow log (the note names it), or the calls that replace the operator's and
    create one as declared. While `blocked` (why none can be created now) no call is made;
    blocked and `alone`, the result says why."""
    own = [log for log in flow_logs if log.own]
    kept = next((log for log in own if _working(log) and _as_declared(log, declared)), None)
    if kept is not None:
        return Delta(
            vpc_id, {DELIVERY: None}, note=f"flow log {kept.id} delivers to {declared.group}"
        )
    other = next((log for log in flow_logs if not log.own and _working(log)), None)
    if other is not None:
        return Delta(
            vpc_id,
            {DELIVERY: None},
            note=f"flow log {other.id} (not the operator's) delivers: left as it is, none created",
        )
    problem = "; ".join(_flow_log_problem(log, declared) for log in flow_logs) or "no flow log"
    replaced = [log.id for log in own]
    calls = (
        *([Call("ec2", "delete_flow_logs", {"FlowLogIds": replaced})] if replaced else []),
        Call(
            "ec2",
            "create_flow_logs",
            create_flow_log(vpc_id, declared, tags),
            failed_items="Unsuccessful",
        ),
    )
    return Delta(
        vpc_id,
        {DELIVERY: problem},
        calls=() if blocked else calls,
        left_alone=blocked if blocked and alone else "",
    )


def vpc_deltas(
    vpc_ids: Sequence[str],
    flow_logs: Sequence[FlowLog],
    declared: Declared,
    tags: Mapping[str, str],
    *,
    blocked: str = "",
    alone: bool = False,
) -> list[Delta]:
    """One delta per VPC, in VPC id order."""
    return [
        vpc_delta(
            vpc_id,
            [log for log in flow_logs if log.resource_id == vpc_id],
            declared,
            tags,
            blocked=blocked,
            alone=alone,
        )
        for vpc_id in sorted(vpc_ids)
    ]


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
