"""vpc.flow_logs, per VPC: does an active flow log of the VPC itself deliver?

Flow logs of a subnet or network interface cover part of a VPC only, so they do not count.
Any traffic type does (AWS's own controls accept REJECT alone). A flow log whose delivery
FAILED (its destination is missing or not writable) records nothing.

Read: the region's VPCs and all its flow logs, the pass's shared reads (`reconcilers._vpcs`):
a pass that also enforces flow logs without a VPC selector reads them once for both.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers import _vpcs
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers._vpcs import FlowLog, flow_log_problem
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.flow_logs import FlowLogs

CHECK = CheckInfo(
    id="vpc.flow_logs",
    summary="Each VPC of the region has an active flow log that delivers.",
    articles=("32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per VPC
    iam_actions=frozenset({"ec2:DescribeVpcs", "ec2:DescribeFlowLogs"}),
)


def vpc_problem(flow_logs: Sequence[FlowLog]) -> str | None:
    """What is wrong with a VPC given its own flow logs."""
    if not flow_logs:
        return "no flow log"
    problems = [flow_log_problem(flow_log) for flow_log in flow_logs]
    return None if None in problems else "; ".join(p for p in problems if p)


def vpc_verdicts(vpc_ids: Iterable[str], flow_logs: Iterable[FlowLog]) -> list[Verdict]:
    """One verdict per VPC; the resource is the VPC id."""
    by_resource: defaultdict[str, list[FlowLog]] = defaultdict(list)
    for flow_log in flow_logs:
        by_resource[flow_log.resource_id].append(flow_log)
    return [Verdict(vpc_id, vpc_problem(by_resource[vpc_id])) for vpc_id in sorted(vpc_ids)]


@dataclass(frozen=True, slots=True)
class Vpcs:
    """What the check reads: every VPC of the region and every flow log."""

    vpc_ids: Sequence[str]
    flow_logs: Sequence[FlowLog]


class VpcFlowLogs(AuditComponent[Vpcs]):
    component = "VpcFlowLogs"
    check = CHECK
    # It reads the VPCs' flow logs, which FlowLogs makes where the spec asks for them.
    depends_on = frozenset({FlowLogs.component})

    async def observe(self, context: Context, target: Target) -> Vpcs:
        vpc_ids, flow_logs = await asyncio.gather(
            _vpcs.vpcs(context, target, {}), _vpcs.flow_logs(context, target)
        )
        return Vpcs(vpc_ids, flow_logs)

    def verdicts(self, observed: Vpcs, spec: MonitoringSpec) -> Sequence[Verdict]:
        return vpc_verdicts(observed.vpc_ids, observed.flow_logs)
