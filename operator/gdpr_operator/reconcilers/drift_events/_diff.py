"""Drift events: what an account-region's rule, queue and target lack, and the calls that
make them as declared (Managed), or what the account's owner must change (External), as one
Delta. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.aws import Target, tag_list
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._tags import managed_by_operator
from gdpr_operator.reconcilers.drift_events._checks import DELIVERY
from gdpr_operator.reconcilers.drift_events._events import QUEUE_NAME, RULE_NAME, event_pattern

TARGET_ID = "gdpr-operator-queue"
"""The rule's one target: the queue, or with an events hub the hub bus (same id: it
replaces the queue)."""
RETENTION_SECONDS = "86400"
"""Events wait a day at most: past it, the resync has found the drift anyway."""
RULE_DESCRIPTION = "gdpr-operator: AWS changes that can cause drift, for its queue"
EXTERNAL_TEMPLATE = "deploy/events/drift-events.yaml"
"""The CloudFormation template (in the repository) that makes the plumbing under External."""
EXTERNAL_FIX = f"create or update the CloudFormation stack from {EXTERNAL_TEMPLATE} here"
IAM_ONLY_PARAMETER = "IamOnly"
"""The template's parameter making the rule match IAM's events alone (IAM_EVENTS_REGION
where no GdprMonitoring covers it)."""
EXTERNAL_OWNER = "events.mode External: the account's owner makes it, not the operator"


@dataclass(frozen=True, slots=True)
class Plumbing:
    """What the account-region holds under the operator's names."""

    queue_url: str | None = None
    queue_tags: dict[str, str] = field(default_factory=dict)
    queue_policy: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    rule_tags: dict[str, str] = field(default_factory=dict)
    target_arns: tuple[str, ...] = ()
    target_roles: dict[str, str] = field(default_factory=dict)
    """The role each target (by ARN) is sent through, for those that have one."""


def rule_arn(target: Target) -> str:
    return f"arn:aws:events:{target.region}:{target.account_id}:rule/{RULE_NAME}"


def queue_arn(target: Target) -> str:
    return f"arn:aws:sqs:{target.region}:{target.account_id}:{QUEUE_NAME}"


def queue_policy(target: Target) -> dict[str, Any]:
    """Only the operator's rule may send to the queue."""
    return policy_document(queue_arn(target), rule_arn(target))


def policy_document(queue: Any, rule: Any) -> dict[str, Any]:
    """The queue's policy, for the queue and rule ARNs given (strings, or the CloudFormation
    template's references to them)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheDriftEventRule",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
            }
        ],
    }


def problem(plumbing: Plumbing, target: Target, *, iam_only: bool = False) -> str | None:
    """What is missing or not as declared."""
    wrong = []
    if plumbing.queue_url is None:
        wrong.append(f"queue {QUEUE_NAME} does not exist")
    elif plumbing.queue_policy != queue_policy(target):
        wrong.append(f"queue {QUEUE_NAME} policy is not the declared one")
    if plumbing.rule is None:
        wrong.append(f"rule {RULE_NAME} does not exist")
    else:
        wrong += rule_problems(plumbing.rule, iam_only=iam_only)
        if queue_arn(target) not in plumbing.target_arns:
            wrong.append(f"rule {RULE_NAME} does not target queue {QUEUE_NAME}")
    return "; ".join(wrong) or None


def rule_problems(rule: Mapping[str, Any], *, iam_only: bool = False) -> list[str]:
    """What differs from the rule declared (matching IAM's events alone: `iam_only`)."""
    wrong = []
    if rule.get("State") != "ENABLED":
        wrong.append(f"rule {RULE_NAME} is {rule.get('State')}")
    if json.loads(rule.get("EventPattern") or "{}") != event_pattern(iam_only=iam_only):
        wrong.append(f"rule {RULE_NAME} pattern is not the declared one")
    return wrong


def not_owned(plumbing: Plumbing) -> str | None:
    """Why the operator may not change what it found; None when all of it is its own."""
    if plumbing.queue_url is not None and not managed_by_operator(plumbing.queue_tags):
        return f"queue {QUEUE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    if plumbing.rule is not None and not managed_by_operator(plumbing.rule_tags):
        return f"rule {RULE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    return None


def delivery_delta(
    plumbing: Plumbing, target: Target, tags: Mapping[str, str], *, iam_only: bool = False
) -> Delta:
    """events.delivery of the account-region, and the calls that make its plumbing as
    declared (its rule matching IAM's events alone: `iam_only`); what is not the
    operator's is left alone."""
    return Delta(
        RULE_NAME,
        {DELIVERY: problem(plumbing, target, iam_only=iam_only)},
        calls=repairs(plumbing, target, tags, iam_only=iam_only),
        left_alone=not_owned(plumbing) or "",
    )


def external_delta(plumbing: Plumbing, target: Target, *, iam_only: bool = False) -> Delta:
    """events.delivery of the account-region under External: the same plumbing as Managed's
    (tags aside: it is the owner's), which no write of the operator's makes."""
    wrong = problem(plumbing, target, iam_only=iam_only)
    return Delta(
        RULE_NAME,
        {DELIVERY: f"{wrong}; {external_fix(iam_only=iam_only)}" if wrong else None},
        not_repairable=EXTERNAL_OWNER,
    )


def external_fix(*, iam_only: bool) -> str:
    """What the account's owner does about it (the stack with IAM_ONLY_PARAMETER where the
    rule matches IAM's events alone)."""
    return (
        f"{EXTERNAL_FIX} with its parameter {IAM_ONLY_PARAMETER}=true" if iam_only else EXTERNAL_FIX
    )


def repairs(
    plumbing: Plumbing, target: Target, tags: Mapping[str, str], *, iam_only: bool = False
) -> tuple[Call, ...]:
    """The queue with its policy, the rule, its target: whichever is missing or not as
    declared, in that order (the rule's target needs the queue)."""
    return (
        *queue_calls(plumbing, queue_policy(target), tags),
        *rule_calls(plumbing, tags, RULE_DESCRIPTION, iam_only=iam_only),
        *target_calls(plumbing, {"Id": TARGET_ID, "Arn": queue_arn(target)}),
    )


def queue_calls(
    plumbing: Plumbing, policy: Mapping[str, Any], tags: Mapping[str, str]
) -> list[Call]:
    """The queue made with `policy`, or its policy set, where it is missing or differs."""
    document = json.dumps(policy)
    if plumbing.queue_url is None:
        attributes = {"Policy": document, "MessageRetentionPeriod": RETENTION_SECONDS}
        return [
            Call(
                "sqs",
                "create_queue",
                {"QueueName": QUEUE_NAME, "Attributes": attributes, "tags": dict(tags)},
            )
        ]
    if plumbing.queue_policy != policy:
        return [
            Call(
                "sqs",
                "set_queue_attributes",
                {"QueueUrl": plumbing.queue_url, "Attributes": {"Policy": document}},
            )
        ]
    return []


def rule_calls(
    plumbing: Plumbing,
    tags: Mapping[str, str],
    description: str,
    *,
    bus: str | None = None,
    iam_only: bool = False,
) -> list[Call]:
    """The rule (on `bus`, else the default bus; matching IAM's events alone: `iam_only`)
    put where it is missing or not as declared; tagged when it is made."""
    rule = plumbing.rule
    if rule is not None and not rule_problems(rule, iam_only=iam_only):
        return []
    return [
        Call(
            "events",
            "put_rule",
            {
                "Name": RULE_NAME,
                **({"EventBusName": bus} if bus is not None else {}),
                "EventPattern": json.dumps(event_pattern(iam_only=iam_only)),
                "State": "ENABLED",
                "Description": description,
                **({"Tags": tag_list(tags)} if rule is None else {}),
            },
        )
    ]


def target_calls(
    plumbing: Plumbing, wanted: Mapping[str, str], *, bus: str | None = None
) -> list[Call]:
    """The rule's one target put as `wanted` (Id, Arn, RoleArn when it needs one) where the
    rule has no target of that ARN, or not with that role."""
    arn = wanted["Arn"]
    if arn in plumbing.target_arns and plumbing.target_roles.get(arn) == wanted.get("RoleArn"):
        return []
    return [
        Call(
            "events",
            "put_targets",
            {
                "Rule": RULE_NAME,
                **({"EventBusName": bus} if bus is not None else {}),
                "Targets": [dict(wanted)],
            },
        )
    ]
