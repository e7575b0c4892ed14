"""Drift events (AwsAccount spec.events.mode Managed or External): the EventBridge rule, SQS
queue and target that bring the AWS change events able to cause drift to the operator, made
by the operator (Managed) or by the account's owner from `rendered_template()` (External);
checks events.delivery. `EVENT_SOURCES` says which events, and which component each concerns."""

from gdpr_operator.reconcilers.drift_events._diff import EXTERNAL_TEMPLATE
from gdpr_operator.reconcilers.drift_events._events import (
    EVENT_SOURCES,
    FINDING,
    INSTANCE_STATE_CHANGE,
    QUEUE_NAME,
    RULE_NAME,
    also_concerned,
    component_of,
    event_pattern,
)
from gdpr_operator.reconcilers.drift_events._reconciler import DriftEvents, remove_plumbing
from gdpr_operator.reconcilers.drift_events._template import rendered_template, stack_template

__all__ = [
    "EVENT_SOURCES",
    "EXTERNAL_TEMPLATE",
    "FINDING",
    "INSTANCE_STATE_CHANGE",
    "QUEUE_NAME",
    "RULE_NAME",
    "DriftEvents",
    "also_concerned",
    "component_of",
    "event_pattern",
    "remove_plumbing",
    "rendered_template",
    "stack_template",
]
