"""Reporting: check results -> status, conditions, Events and metrics; an AwsAccount's check ->
its status."""

from gdpr_operator.report import _metrics as metrics
from gdpr_operator.report._accounts import (
    EVENTS_MODE,
    MAX_USED_BY,
    MonitoringRef,
    account_status_update,
    plumbing_event,
    plumbing_status,
    used_by_status,
)
from gdpr_operator.report._conditions import COMPLIANT, Condition, Event
from gdpr_operator.report._hub import (
    EVENTS_HUB,
    hub_condition,
    hub_condition_update,
    receive_failed_condition,
    same_condition,
)
from gdpr_operator.report._hub_release import EVENTS_HUB_REGION, hub_event, hub_status
from gdpr_operator.report._repairs import LateRepairs, RecentRepairs
from gdpr_operator.report._status import MAX_SUMMARY_TARGETS, result_counts, status_update

__all__ = [
    "COMPLIANT",
    "EVENTS_HUB",
    "EVENTS_HUB_REGION",
    "EVENTS_MODE",
    "MAX_SUMMARY_TARGETS",
    "MAX_USED_BY",
    "Condition",
    "Event",
    "LateRepairs",
    "MonitoringRef",
    "RecentRepairs",
    "account_status_update",
    "hub_condition",
    "hub_condition_update",
    "hub_event",
    "hub_status",
    "metrics",
    "plumbing_event",
    "plumbing_status",
    "receive_failed_condition",
    "result_counts",
    "same_condition",
    "status_update",
    "used_by_status",
]
