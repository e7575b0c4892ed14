"""The CloudFormation template of events.mode External: in one account-region, the rule, queue,
queue policy and target that Managed makes, from the same names, pattern and policy as
the component's (`_events`, `_diff`), so that what it checks is what the template makes.
With the parameter HUB_PARAMETER (the events hub bus's ARN, when the operator runs with
--events-hub), the rule forwards to that bus through a forwarder role of the stack's
(one per Region: IAM is global, and each account-region has its stack) instead, and no
queue is made. With IAM_ONLY_PARAMETER true (the stack in IAM_EVENTS_REGION where no
GdprMonitoring covers it, for IAM's events), the rule matches IAM's events alone.
scripts/generate-drift-events-template writes it to `EXTERNAL_TEMPLATE`.
Pure."""

from __future__ import annotations

from typing import Any

import yaml

from gdpr_operator.reconcilers._tags import IAM_PATH
from gdpr_operator.reconcilers.drift_events._diff import (
    EXTERNAL_TEMPLATE,
    IAM_ONLY_PARAMETER,
    RETENTION_SECONDS,
    RULE_DESCRIPTION,
    TARGET_ID,
    policy_document,
)
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    EVENTS_SERVICE,
    FORWARDER_ROLE_NAME,
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    RULE_NAME,
    event_pattern,
)
from gdpr_operator.reconcilers.drift_events._hub import FORWARD_POLICY_NAME

QUEUE, RULE, POLICY, ROLE = "Queue", "Rule", "QueuePolicy", "ForwarderRole"
"""The template's logical resource ids."""
HUB_PARAMETER = "HubBusArn"
WITH_HUB, WITHOUT_HUB, IAM_ONLY = "WithHub", "WithoutHub", "IamEventsOnly"


def stack_template() -> dict[str, Any]:
    """The template, as CloudFormation reads it: nothing in it varies but the account and
    region the stack is created in, whether HUB_PARAMETER names an events hub bus, and
    whether IAM_ONLY_PARAMETER narrows the rule to IAM's events."""
    queue_arn = {"Fn::GetAtt": [QUEUE, "Arn"]}
    hub = {"Ref": HUB_PARAMETER}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "gdpr-operator drift events (AwsAccount spec.events.mode External)",
        "Parameters": {
            HUB_PARAMETER: {
                "Type": "String",
                "Default": "",
                "Description": "The events hub bus's ARN when the operator runs with "
                "--events-hub (arn:aws:events:REGION:ACCOUNT:event-bus/"
                "gdpr-operator-drift-events): the rule forwards there, and no queue is made",
            },
            IAM_ONLY_PARAMETER: {
                "Type": "String",
                "Default": "false",
                "AllowedValues": ["false", "true"],
                "Description": f"true for the stack in {IAM_EVENTS_REGION} when no "
                f"GdprMonitoring covers {IAM_EVENTS_REGION}: the rule matches IAM's events "
                f"alone (AWS delivers them to {IAM_EVENTS_REGION} only)",
            },
        },
        "Conditions": {
            WITH_HUB: {"Fn::Not": [{"Fn::Equals": [hub, ""]}]},
            WITHOUT_HUB: {"Fn::Equals": [hub, ""]},
            IAM_ONLY: {"Fn::Equals": [{"Ref": IAM_ONLY_PARAMETER}, "true"]},
        },
        "Resources": {
            QUEUE: {
                "Type": "AWS::SQS::Queue",
                "Condition": WITHOUT_HUB,
                "Properties": {
                    "QueueName": QUEUE_NAME,
                    "MessageRetentionPeriod": int(RETENTION_SECONDS),
                },
            },
            POLICY: {
                "Type": "AWS::SQS::QueuePolicy",
                "Condition": WITHOUT_HUB,
                "Properties": {
                    "Queues": [{"Ref": QUEUE}],
                    "PolicyDocument": policy_document(queue_arn, {"Fn::GetAtt": [RULE, "Arn"]}),
                },
            },
            RULE: {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": RULE_NAME,
                    "Description": RULE_DESCRIPTION,
                    "EventBusName": "default",
                    "State": "ENABLED",
                    "EventPattern": {
                        "Fn::If": [IAM_ONLY, event_pattern(iam_only=True), event_pattern()]
                    },
                    "Targets": {
                        "Fn::If": [
                            WITH_HUB,
                            [
                                {
                                    "Id": TARGET_ID,
                                    "Arn": hub,
                                    "RoleArn": {"Fn::GetAtt": [ROLE, "Arn"]},
                                }
                            ],
                            [{"Id": TARGET_ID, "Arn": queue_arn}],
                        ]
                    },
                },
            },
            ROLE: {
                "Type": "AWS::IAM::Role",
                "Condition": WITH_HUB,
                "Properties": {
                    "RoleName": {"Fn::Sub": f"{FORWARDER_ROLE_NAME}-${{AWS::Region}}"},
                    "Path": IAM_PATH,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": EVENTS_SERVICE},
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                                },
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": FORWARD_POLICY_NAME,
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "events:PutEvents",
                                        "Resource": hub,
                                    }
                                ],
                            },
                        }
                    ],
                },
            },
        },
        "Outputs": {
            "QueueUrl": {
                "Condition": WITHOUT_HUB,
                "Description": "The queue the operator reads",
                "Value": {"Ref": QUEUE},
            },
            "QueueArn": {
                "Condition": WITHOUT_HUB,
                "Description": "The queue's ARN",
                "Value": queue_arn,
            },
        },
    }


def rendered_template() -> str:
    """The template's file: a comment saying where it comes from, then the template."""
    return _HEADER + yaml.dump(stack_template(), Dumper=_NoAliases, sort_keys=False, width=100)


class _NoAliases(yaml.SafeDumper):
    """CloudFormation reads no YAML anchors: a value used twice is written twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_HEADER = (
    f"# {EXTERNAL_TEMPLATE}: generated by scripts/generate-drift-events-template from the\n"
    "# operator's code (the names, event pattern and queue policy its events.delivery check\n"
    "# expects). Do not edit by hand. One stack per account-region, and one in\n"
    f"# {IAM_EVENTS_REGION} too (IAM's events are delivered there only):\n"
    f"#   aws cloudformation deploy --stack-name gdpr-operator-drift-events \\\n"
    f"#     --template-file {EXTERNAL_TEMPLATE} --region REGION\n"
    f"# In {IAM_EVENTS_REGION}, when no GdprMonitoring covers it, add --parameter-overrides\n"
    f"#   {IAM_ONLY_PARAMETER}=true (the rule then matches IAM's events alone).\n"
    "# With an events hub, add --capabilities CAPABILITY_NAMED_IAM --parameter-overrides\n"
    f"#   {HUB_PARAMETER}=arn:aws:events:HUB_REGION:HUB_ACCOUNT:event-bus/{BUS_NAME}\n"
)
