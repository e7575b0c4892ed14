"""Drift events' reads: the queue by its name, the rule by its name (on the default bus, or
on the hub's bus), their tags, the rule's targets; the hub's bus; the forwarder role (read
once per pass for every region of the account: IAM is global)."""

from __future__ import annotations

import json
from typing import Any

from gdpr_operator.aws import Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context, PassRead
from gdpr_operator.reconcilers._service_roles import ServiceRole, read_role
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.drift_events._diff import Plumbing
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    FORWARDER_ROLE_NAME,
    QUEUE_NAME,
    RULE_NAME,
)
from gdpr_operator.reconcilers.drift_events._hub import (
    FORWARD_POLICY_NAME,
    HubPlumbing,
)

DEFAULT_BUS = "default"
FORWARDER = PassRead[str, ServiceRole | None]("events.forwarder_role")
"""The forwarder role of an account (by id), as the pass first read it."""


async def plumbing(aws: AwsReads, target: Target, bus: str = DEFAULT_BUS) -> Plumbing:
    """What the account-region holds under the operator's names (its rule on `bus`)."""
    url, queue_tags, policy = await _queue(aws, target)
    on_bus = {} if bus == DEFAULT_BUS else {"EventBusName": bus}
    rules = (await aws.call(target, "events", "list_rules", NamePrefix=RULE_NAME, **on_bus))[
        "Rules"
    ]
    rule = next((rule for rule in rules if rule["Name"] == RULE_NAME), None)
    rule_tags: dict[str, str] = {}
    arns: tuple[str, ...] = ()
    roles: dict[str, str] = {}
    if rule is not None:
        rule_tags = tag_map(
            (await aws.call(target, "events", "list_tags_for_resource", ResourceARN=rule["Arn"]))[
                "Tags"
            ]
        )
        listed = await aws.call(target, "events", "list_targets_by_rule", Rule=RULE_NAME, **on_bus)
        arns = tuple(item["Arn"] for item in listed["Targets"])
        roles = {item["Arn"]: item["RoleArn"] for item in listed["Targets"] if "RoleArn" in item}
    return Plumbing(url, queue_tags, policy, rule, rule_tags, arns, roles)


async def _queue(
    aws: AwsReads, target: Target
) -> tuple[str | None, dict[str, str], dict[str, Any] | None]:
    """The queue's URL, tags and policy (None, {}, None: there is none)."""
    urls = (await aws.call(target, "sqs", "list_queues", QueueNamePrefix=QUEUE_NAME)).get(
        "QueueUrls", []
    )
    url = next((url for url in urls if url.rsplit("/", 1)[-1] == QUEUE_NAME), None)
    if url is None:
        return None, {}, None
    tags: dict[str, str] = (await aws.call(target, "sqs", "list_queue_tags", QueueUrl=url)).get(
        "Tags", {}
    )
    attributes = (
        await aws.call(
            target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
        )
    ).get("Attributes", {})
    return url, tags, json.loads(attributes["Policy"]) if "Policy" in attributes else None


async def hub_plumbing(aws: AwsReads, target: Target) -> HubPlumbing:
    """What the hub account-region holds: the bus with its policy and tags, the rule on it,
    its targets, the queue."""
    buses = (await aws.call(target, "events", "list_event_buses", NamePrefix=BUS_NAME)).get(
        "EventBuses", []
    )
    bus = next((bus for bus in buses if bus["Name"] == BUS_NAME), None)
    if bus is None:
        url, queue_tags, policy = await _queue(aws, target)
        return HubPlumbing(plumbing=Plumbing(url, queue_tags, policy))
    described = await aws.call(target, "events", "describe_event_bus", Name=BUS_NAME)
    tags = tag_map(
        (await aws.call(target, "events", "list_tags_for_resource", ResourceARN=bus["Arn"]))["Tags"]
    )
    policy = json.loads(described["Policy"]) if described.get("Policy") else None
    return HubPlumbing(bus["Arn"], policy, tags, await plumbing(aws, target, BUS_NAME))


async def forwarder_role(context: Context, target: Target) -> ServiceRole | None:
    """The forwarder role and its inline policy, as this pass knows it; None when there is
    no such role."""
    return await context.reads.once(
        FORWARDER, target.account_id, lambda: read_forwarder(context.aws, target)
    )


async def read_forwarder(aws: AwsReads, target: Target) -> ServiceRole | None:
    return await read_role(aws, iam_target(target), FORWARDER_ROLE_NAME, FORWARD_POLICY_NAME)
