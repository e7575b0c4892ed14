"""The EventBridge rule, SQS queue and target of an account-region under events.mode
Managed: created tagged, kept as declared, removed on release when no other Enforce
GdprMonitoring still covers the account-region.

Only Enforce GdprMonitorings run this component: Observe makes no write, and an account
whose events.mode is Off gets no EventBridge or SQS call at all. What exists under these
names without the operator's tag is reported and left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckResult, DriftEventsMode, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._settle import left_alone, settle
from gdpr_operator.reconcilers._tags import (
    managed_by_operator,
    ownership_tags,
    tag_list,
    tag_map,
)
from gdpr_operator.reconcilers.drift_events._checks import (
    CHECKS,
    CONSUMER_ACTIONS,
    DELIVERY,
    GRANTS,
    RELEASE_ACTIONS,
)
from gdpr_operator.reconcilers.drift_events._events import QUEUE_NAME, RULE_NAME, event_pattern

TARGET_ID = "gdpr-operator-queue"
RETENTION_SECONDS = "86400"
"""Events wait a day at most: past it, the resync has found the drift anyway."""


@dataclass(frozen=True, slots=True)
class Plumbing:
    """What the account-region holds under the operator's names."""

    queue_url: str | None = None
    queue_tags: dict[str, str] = field(default_factory=dict)
    queue_policy: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    rule_tags: dict[str, str] = field(default_factory=dict)
    target_arns: tuple[str, ...] = ()


def rule_arn(target: Target) -> str:
    return f"arn:aws:events:{target.region}:{target.account_id}:rule/{RULE_NAME}"


def queue_arn(target: Target) -> str:
    return f"arn:aws:sqs:{target.region}:{target.account_id}:{QUEUE_NAME}"


def queue_policy(target: Target) -> dict[str, Any]:
    """Only the operator's rule may send to the queue."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheDriftEventRule",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn(target),
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn(target)}},
            }
        ],
    }


def problem(plumbing: Plumbing, target: Target) -> str | None:
    """What is missing or not as declared (pure)."""
    wrong = []
    if plumbing.queue_url is None:
        wrong.append(f"queue {QUEUE_NAME} does not exist")
    elif plumbing.queue_policy != queue_policy(target):
        wrong.append(f"queue {QUEUE_NAME} policy is not the declared one")
    if plumbing.rule is None:
        wrong.append(f"rule {RULE_NAME} does not exist")
    else:
        wrong += _rule_problems(plumbing.rule)
        if queue_arn(target) not in plumbing.target_arns:
            wrong.append(f"rule {RULE_NAME} does not target queue {QUEUE_NAME}")
    return "; ".join(wrong) or None


def _rule_problems(rule: dict[str, Any]) -> list[str]:
    wrong = []
    if rule.get("State") != "ENABLED":
        wrong.append(f"rule {RULE_NAME} is {rule.get('State')}")
    if json.loads(rule.get("EventPattern") or "{}") != event_pattern():
        wrong.append(f"rule {RULE_NAME} pattern is not the declared one")
    return wrong


def not_owned(plumbing: Plumbing) -> str | None:
    """Why the operator may not change what it found; None when all of it is its own."""
    if plumbing.queue_url is not None and not managed_by_operator(plumbing.queue_tags):
        return f"queue {QUEUE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    if plumbing.rule is not None and not managed_by_operator(plumbing.rule_tags):
        return f"rule {RULE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    return None


class DriftEvents:
    component = "DriftEvents"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, CONSUMER_ACTIONS, RELEASE_ACTIONS)
    grants = GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.enforce

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        if context.drift_events is not DriftEventsMode.MANAGED:
            return ComponentReport()
        plumbing = await observe(context, target)
        wrong = problem(plumbing, target)
        refusal = not_owned(plumbing)

        async def apply() -> None:
            await _converge(context, target, plumbing)

        results: list[CheckResult] = await settle(
            target,
            target.region,
            {DELIVERY: wrong},
            RULE_NAME,
            enforce=context.spec.enforce,
            apply=None if refusal else apply,
        )
        return ComponentReport(results=left_alone(results, refusal) if refusal else results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Removes the rule, its target and the queue, when the operator made them and no
        other Enforce GdprMonitoring still covers the account-region."""
        if context.drift_events is not DriftEventsMode.MANAGED:
            return ComponentReport()
        if any(
            other.spec.enforce and other.covers(target.account_id, target.region)
            for other in context.others
        ):
            return ComponentReport(
                kept=[f"drift event rule and queue in {target} (another GdprMonitoring uses them)"]
            )
        plumbing = await observe(context, target)
        released = []
        if plumbing.rule is not None and managed_by_operator(plumbing.rule_tags):
            if plumbing.target_arns:
                await context.write.call(
                    target, "events", "remove_targets", Rule=RULE_NAME, Ids=[TARGET_ID]
                )
            await context.write.call(target, "events", "delete_rule", Name=RULE_NAME)
            released.append(f"EventBridge rule {RULE_NAME} in {target}")
        if plumbing.queue_url is not None and managed_by_operator(plumbing.queue_tags):
            await context.write.call(target, "sqs", "delete_queue", QueueUrl=plumbing.queue_url)
            released.append(f"SQS queue {QUEUE_NAME} in {target}")
        return ComponentReport(released=released)


async def observe(context: Context, target: Target) -> Plumbing:
    """Read calls only: the queue by its name, the rule by its name, their tags, the
    rule's targets."""
    reads = context.aws
    urls = (await reads.call(target, "sqs", "list_queues", QueueNamePrefix=QUEUE_NAME)).get(
        "QueueUrls", []
    )
    url = next((url for url in urls if url.rsplit("/", 1)[-1] == QUEUE_NAME), None)
    queue_tags: dict[str, str] = {}
    policy = None
    if url is not None:
        queue_tags = (await reads.call(target, "sqs", "list_queue_tags", QueueUrl=url)).get(
            "Tags", {}
        )
        attributes = (
            await reads.call(
                target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
            )
        ).get("Attributes", {})
        policy = json.loads(attributes["Policy"]) if "Policy" in attributes else None
    rules = (await reads.call(target, "events", "list_rules", NamePrefix=RULE_NAME))["Rules"]
    rule = next((rule for rule in rules if rule["Name"] == RULE_NAME), None)
    rule_tags: dict[str, str] = {}
    arns: tuple[str, ...] = ()
    if rule is not None:
        rule_tags = tag_map(
            (await reads.call(target, "events", "list_tags_for_resource", ResourceARN=rule["Arn"]))[
                "Tags"
            ]
        )
        listed = await reads.call(target, "events", "list_targets_by_rule", Rule=RULE_NAME)
        arns = tuple(item["Arn"] for item in listed["Targets"])
    return Plumbing(url, queue_tags, policy, rule, rule_tags, arns)


async def _converge(context: Context, target: Target, plumbing: Plumbing) -> None:
    """The queue with its policy, the rule, its target: whichever is missing or not as
    declared, in that order (the rule's target needs the queue)."""
    tags = ownership_tags(context.owner)
    policy = json.dumps(queue_policy(target))
    if plumbing.queue_url is None:
        await context.write.call(
            target,
            "sqs",
            "create_queue",
            QueueName=QUEUE_NAME,
            Attributes={"Policy": policy, "MessageRetentionPeriod": RETENTION_SECONDS},
            tags=tags,
        )
    elif plumbing.queue_policy != queue_policy(target):
        await context.write.call(
            target,
            "sqs",
            "set_queue_attributes",
            QueueUrl=plumbing.queue_url,
            Attributes={"Policy": policy},
        )
    rule = plumbing.rule
    if rule is None or _rule_problems(rule):
        await context.write.call(
            target,
            "events",
            "put_rule",
            Name=RULE_NAME,
            EventPattern=json.dumps(event_pattern()),
            State="ENABLED",
            Description="gdpr-operator: AWS changes that can cause drift, for its queue",
            **({"Tags": tag_list(tags)} if rule is None else {}),
        )
    if queue_arn(target) not in plumbing.target_arns:
        await context.write.call(
            target,
            "events",
            "put_targets",
            Rule=RULE_NAME,
            Targets=[{"Id": TARGET_ID, "Arn": queue_arn(target)}],
        )
