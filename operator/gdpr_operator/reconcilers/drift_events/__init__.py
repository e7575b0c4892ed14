"""Drift events (AwsAccount spec.events.mode Managed): the EventBridge rule, SQS queue
and target that bring the AWS change events able to cause drift to the operator; checks
events.delivery. `EVENT_SOURCES` says which events, and which component each concerns."""

from gdpr_operator.reconcilers.drift_events._events import (
    EVENT_SOURCES,
    INSTANCE_STATE_CHANGE,
    QUEUE_NAME,
    RULE_NAME,
    component_of,
    event_pattern,
)
from gdpr_operator.reconcilers.drift_events._reconciler import DriftEvents

__all__ = [
    "EVENT_SOURCES",
    "INSTANCE_STATE_CHANGE",
    "QUEUE_NAME",
    "RULE_NAME",
    "DriftEvents",
    "component_of",
    "event_pattern",
]
