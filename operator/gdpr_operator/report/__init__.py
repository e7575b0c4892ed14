"""Reporting: check results -> status, conditions, Events and metrics; an AwsAccount's check ->
its status."""

from gdpr_operator.report import _metrics as metrics
from gdpr_operator.report._accounts import (
    MAX_USED_BY,
    MonitoringRef,
    account_status_update,
    used_by_status,
)
from gdpr_operator.report._conditions import (
    COMPLIANT,
    READY,
    SYNCED,
    Condition,
    Event,
    Transition,
)
from gdpr_operator.report._status import MAX_SUMMARY_TARGETS, StatusUpdate, status_update

__all__ = [
    "COMPLIANT",
    "MAX_SUMMARY_TARGETS",
    "MAX_USED_BY",
    "READY",
    "SYNCED",
    "Condition",
    "Event",
    "MonitoringRef",
    "StatusUpdate",
    "Transition",
    "account_status_update",
    "metrics",
    "status_update",
    "used_by_status",
]
