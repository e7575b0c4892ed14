"""A region's VPCs and flow logs, read once per pass for whichever components ask: the
flow logs the operator enforces (vpc.flow_logs_delivery) and the observe-only audit check
(vpc.flow_logs) judge the same reads. A flow log as DescribeFlowLogs describes it, and
whether it records anything, is pure.

DescribeFlowLogs is read unfiltered by both, so it is one read. DescribeVpcs is one read
when the VPCs asked for are the same: every VPC (the audit check, and flow logs without a
selector), or those carrying the same tags. A tag selector is sent as EC2's own filters,
whose values match as EC2 matches them (wildcards included), so VPCs selected by tag are
read as such, not filtered here from the unfiltered list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.aws import Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context, PassRead
from gdpr_operator.reconcilers._tags import managed_by_operator

ACTIVE = "ACTIVE"
FAILED = "FAILED"
CLOUD_WATCH_LOGS = "cloud-watch-logs"


@dataclass(frozen=True, slots=True)
class FlowLog:
    id: str
    resource_id: str
    """The VPC, subnet or network interface it records."""
    active: bool
    delivery_error: str | None
    """None while it delivers."""
    tags: Mapping[str, str] = field(default_factory=dict)
    destination_type: str = CLOUD_WATCH_LOGS
    group: str | None = None
    """Its CloudWatch Logs group, when it delivers to one."""
    role_arn: str | None = None
    """The role it delivers through (CloudWatch Logs)."""
    traffic_type: str = "ALL"

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> FlowLog:
        failed = item.get("DeliverLogsStatus") == FAILED
        return cls(
            id=item["FlowLogId"],
            resource_id=item.get("ResourceId", ""),
            active=item.get("FlowLogStatus") == ACTIVE,
            delivery_error=(item.get("DeliverLogsErrorMessage") or FAILED) if failed else None,
            tags=tag_map(item.get("Tags", [])),
            destination_type=item.get("LogDestinationType", CLOUD_WATCH_LOGS),
            group=item.get("LogGroupName"),
            role_arn=item.get("DeliverLogsPermissionArn"),
            traffic_type=item.get("TrafficType", "ALL"),
        )

    @property
    def own(self) -> bool:
        """The operator's (it created it: it carries its tag)."""
        return managed_by_operator(self.tags)


def flow_log_problem(flow_log: FlowLog) -> str | None:
    """Why it records nothing; None while it is active and delivers."""
    if not flow_log.active:
        return f"flow log {flow_log.id} is not {ACTIVE}"
    if flow_log.delivery_error is not None:
        return f"flow log {flow_log.id} cannot deliver: {flow_log.delivery_error}"
    return None


Tags = tuple[tuple[str, str], ...]
"""A tag selector, sorted by key: every tag a VPC must carry (none: every VPC)."""

REGION_VPCS = PassRead[tuple[str, str, Tags], tuple[str, ...]]("ec2.region_vpcs")
"""The VPC ids of (account id, region, tag selector), as the pass first read them."""
REGION_FLOW_LOGS = PassRead[tuple[str, str], tuple[FlowLog, ...]]("ec2.region_flow_logs")
"""The flow logs of (account id, region), as the pass first read them."""


async def vpcs(context: Context, target: Target, tags: Mapping[str, str]) -> tuple[str, ...]:
    """The region's VPCs carrying all `tags` (every VPC for none): read once per pass."""
    selector = tuple(sorted(tags.items()))
    return await context.reads.once(
        REGION_VPCS,
        (target.account_id, target.region, selector),
        lambda: read_vpcs(context.aws, target, selector),
    )


async def flow_logs(context: Context, target: Target) -> tuple[FlowLog, ...]:
    """The region's flow logs (of VPCs, subnets and interfaces): read once per pass."""
    return await context.reads.once(
        REGION_FLOW_LOGS,
        (target.account_id, target.region),
        lambda: read_flow_logs(context.aws, target),
    )


async def read_vpcs(aws: AwsReads, target: Target, selector: Tags) -> tuple[str, ...]:
    """DescribeVpcs with EC2's tag filters for `selector` (no filter for none)."""
    filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in selector]
    vpc_ids = [
        vpc["VpcId"]
        async for page in aws.paginate(
            target, "ec2", "describe_vpcs", **({"Filters": filters} if filters else {})
        )
        for vpc in page.get("Vpcs", [])
    ]
    return tuple(vpc_ids)


async def read_flow_logs(aws: AwsReads, target: Target) -> tuple[FlowLog, ...]:
    """DescribeFlowLogs, every page."""
    logs = [
        FlowLog.from_api(item)
        async for page in aws.paginate(target, "ec2", "describe_flow_logs")
        for item in page.get("FlowLogs", [])
    ]
    return tuple(logs)
