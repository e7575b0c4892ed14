"""Reporting: check results -> status, conditions, Events and metrics."""

from gdpr_operator.report import _metrics as metrics
from gdpr_operator.report._conditions import COMPLIANT, READY, SYNCED, Condition, Transition
from gdpr_operator.report._status import MAX_SUMMARY_TARGETS, Event, StatusUpdate, status_update

__all__ = [
    "COMPLIANT",
    "MAX_SUMMARY_TARGETS",
    "READY",
    "SYNCED",
    "Condition",
    "Event",
    "StatusUpdate",
    "Transition",
    "metrics",
    "status_update",
]
