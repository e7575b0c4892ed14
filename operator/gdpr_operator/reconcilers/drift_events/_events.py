"""Which AWS events can cause drift of what the operator manages or checks, and which
component each concerns: the EventBridge rule's pattern is made from this table, and an
event received is routed by it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from gdpr_operator.model import ALL_REGIONS

RULE_NAME = "gdpr-operator-drift-events"
QUEUE_NAME = "gdpr-operator-drift-events"
BUS_NAME = "gdpr-operator-drift-events"
"""The events hub's custom bus (in the hub account-region), which member rules forward to."""
FORWARDER_ROLE_NAME = "gdpr-operator-drift-events-forwarder"
"""The role, in each member account under the operator's IAM path, that EventBridge
forwards events to the hub bus through."""
EVENTS_SERVICE = "events.amazonaws.com"
"""EventBridge, the one service the forwarder role trusts and is passed to."""
API_CALL = "AWS API Call via CloudTrail"
INSTANCE_STATE_CHANGE = "EC2 Instance State-change Notification"
IAM_EVENTS_REGION = "us-east-1"
"""Where AWS delivers IAM's CloudTrail events: to this Region's default bus only, whichever
Regions an account's GdprMonitorings cover."""
IAM_SOURCE = "iam.amazonaws.com"
FINDING = "GuardDuty Finding"
"""A GuardDuty finding, new or updated: it concerns the findings checks of GuardDuty."""

EVENT_SOURCES: Mapping[str, Mapping[str, str]] = {
    "guardduty.amazonaws.com": {
        name: "GuardDuty"
        for name in (
            "CreateDetector",
            "DeleteDetector",
            "UpdateDetector",
            "UpdateOrganizationConfiguration",
        )
    },
    IAM_SOURCE: {
        **{
            name: "AgentRole"
            for name in (
                "DeleteRole",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "UpdateAssumeRolePolicy",
                "DeleteInstanceProfile",
                "RemoveRoleFromInstanceProfile",
            )
        },
    },
    "ec2.amazonaws.com": {
        **{
            name: "InstanceProfiles"
            for name in (
                "RunInstances",
                "CreateTags",
                "DeleteTags",
                "AssociateIamInstanceProfile",
                "DisassociateIamInstanceProfile",
                "ReplaceIamInstanceProfileAssociation",
            )
        },
        "CreateFlowLogs": "VpcFlowLogs",
        "DeleteFlowLogs": "VpcFlowLogs",
    },
    "ssm.amazonaws.com": {
        name: "CloudWatchAgent"
        for name in (
            "PutParameter",
            "DeleteParameter",
            "DeleteParameters",
            "CreateAssociation",
            "UpdateAssociation",
            "DeleteAssociation",
        )
    },
    "logs.amazonaws.com": {
        name: "LogGroups"
        for name in (
            "CreateLogGroup",
            "DeleteLogGroup",
            "PutRetentionPolicy",
            "DeleteRetentionPolicy",
            "AssociateKmsKey",
            "DisassociateKmsKey",
        )
    },
    "cloudtrail.amazonaws.com": {
        name: "CloudTrail"
        for name in ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")
    },
    "config.amazonaws.com": {
        name: "ConfigRecorder"
        for name in (
            "StopConfigurationRecorder",
            "DeleteConfigurationRecorder",
            "PutConfigurationRecorder",
        )
    },
    "s3.amazonaws.com": {"PutBucketLogging": "S3AccessLogging"},
}
"""eventSource -> eventName -> the component whose checks the call can change."""
EVENT_COMPONENTS = frozenset(
    {
        "InstanceProfiles",
        "GuardDuty",
        *(c for names in EVENT_SOURCES.values() for c in names.values()),
    }
)
"""Every component an event can concern: `component_of`'s answers."""


def component_of(detail_type: str, event_source: str, event_name: str) -> str | None:
    """The component an event concerns; None for an event the rule would not match."""
    if detail_type == INSTANCE_STATE_CHANGE:
        return "InstanceProfiles"
    if detail_type == FINDING:
        return "GuardDuty"
    if detail_type != API_CALL:
        return None
    return EVENT_SOURCES.get(event_source, {}).get(event_name)


def _api_calls(sources: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    return {
        "detail-type": [API_CALL],
        "source": [f"aws.{source.split('.', 1)[0]}" for source in sources],
        "detail": {
            "eventSource": list(sources),
            "eventName": sorted({name for names in sources.values() for name in names}),
        },
    }


def event_pattern(*, iam_only: bool = False) -> dict[str, Any]:
    """The rule's pattern: the API calls above, EC2 instance state changes, and GuardDuty
    findings; `iam_only`: IAM's API calls alone (IAM_EVENTS_REGION where no GdprMonitoring
    covers it: it brings nothing else)."""
    if iam_only:
        return _api_calls({IAM_SOURCE: EVENT_SOURCES[IAM_SOURCE]})
    return {
        "$or": [
            _api_calls(EVENT_SOURCES),
            {"detail-type": [INSTANCE_STATE_CHANGE], "source": ["aws.ec2"]},
            {"detail-type": [FINDING], "source": ["aws.guardduty"]},
        ]
    }


def plumbing_regions(covered: Collection[str]) -> tuple[str, ...]:
    """The Regions of an account that need its plumbing, given those its GdprMonitorings
    cover (ALL_REGIONS: every one): those, and IAM_EVENTS_REGION too once they cover any,
    for IAM's events. Pure."""
    if not covered or ALL_REGIONS in covered or IAM_EVENTS_REGION in covered:
        return tuple(covered)
    return (*covered, IAM_EVENTS_REGION)


def iam_only(region: str, covered: Collection[str]) -> bool:
    """Whether the account-region's rule matches IAM's events alone: IAM_EVENTS_REGION,
    when no GdprMonitoring covers it (`covered`: the Regions they cover). Pure."""
    return region == IAM_EVENTS_REGION and not {region, ALL_REGIONS} & set(covered)
