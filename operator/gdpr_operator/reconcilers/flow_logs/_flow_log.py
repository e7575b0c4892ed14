"""A flow log as DescribeFlowLogs describes it, and whether it records anything. Pure.

Shared by the observe-only audit check (vpc.flow_logs) and the component that enforces flow
logs (vpc.flow_logs_delivery).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.aws import tag_map
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
