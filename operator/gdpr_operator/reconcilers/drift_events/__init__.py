"""Drift events (AwsAccount spec.events.mode Managed or External): the EventBridge rule, SQS
queue and target that bring the AWS change events able to cause drift to the operator, made
by the operator (Managed) or by the account's owner from `rendered_template()` (External);
checks events.delivery; in IAM_EVENTS_REGION too, for IAM's events (`plumbing_regions`).
`EVENT_SOURCES` says which events, and which component each concerns."""

from gdpr_operator.reconcilers.drift_events._diff import EXTERNAL_TEMPLATE
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    EVENT_COMPONENTS,
    EVENT_SOURCES,
    FINDING,
    FORWARDER_ROLE_NAME,
    IAM_EVENTS_REGION,
    INSTANCE_STATE_CHANGE,
    QUEUE_NAME,
    RULE_NAME,
    component_of,
    event_pattern,
    iam_only,
    plumbing_regions,
)
from gdpr_operator.reconcilers.drift_events._hub import (
    Hub,
    bus_policy,
    forwarder_policy,
    forwarder_role_arn,
    forwarder_trust,
    hub_queue_policy,
)
from gdpr_operator.reconcilers.drift_events._reconciler import (
    DriftEvents,
    reconcile_hub,
    remove_forwarder,
    remove_hub,
    remove_plumbing,
)
from gdpr_operator.reconcilers.drift_events._template import rendered_template, stack_template

__all__ = [
    "BUS_NAME",
    "EVENT_COMPONENTS",
    "EVENT_SOURCES",
    "EXTERNAL_TEMPLATE",
    "FINDING",
    "FORWARDER_ROLE_NAME",
    "IAM_EVENTS_REGION",
    "INSTANCE_STATE_CHANGE",
    "QUEUE_NAME",
    "RULE_NAME",
    "DriftEvents",
    "Hub",
    "bus_policy",
    "component_of",
    "event_pattern",
    "forwarder_policy",
    "forwarder_role_arn",
    "forwarder_trust",
    "hub_queue_policy",
    "iam_only",
    "plumbing_regions",
    "reconcile_hub",
    "remove_forwarder",
    "remove_hub",
    "remove_plumbing",
    "rendered_template",
    "stack_template",
]
