"""Drift events' reads: the queue by its name, the rule by its name, their tags, the rule's
targets."""

from __future__ import annotations

import json

from gdpr_operator.aws import Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers.drift_events._diff import Plumbing
from gdpr_operator.reconcilers.drift_events._events import QUEUE_NAME, RULE_NAME


async def plumbing(aws: AwsReads, target: Target) -> Plumbing:
    """What the account-region holds under the operator's names."""
    urls = (await aws.call(target, "sqs", "list_queues", QueueNamePrefix=QUEUE_NAME)).get(
        "QueueUrls", []
    )
    url = next((url for url in urls if url.rsplit("/", 1)[-1] == QUEUE_NAME), None)
    queue_tags: dict[str, str] = {}
    policy = None
    if url is not None:
        queue_tags = (await aws.call(target, "sqs", "list_queue_tags", QueueUrl=url)).get(
            "Tags", {}
        )
        attributes = (
            await aws.call(
                target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
            )
        ).get("Attributes", {})
        policy = json.loads(attributes["Policy"]) if "Policy" in attributes else None
    rules = (await aws.call(target, "events", "list_rules", NamePrefix=RULE_NAME))["Rules"]
    rule = next((rule for rule in rules if rule["Name"] == RULE_NAME), None)
    rule_tags: dict[str, str] = {}
    arns: tuple[str, ...] = ()
    if rule is not None:
        rule_tags = tag_map(
            (await aws.call(target, "events", "list_tags_for_resource", ResourceARN=rule["Arn"]))[
                "Tags"
            ]
        )
        listed = await aws.call(target, "events", "list_targets_by_rule", Rule=RULE_NAME)
        arns = tuple(item["Arn"] for item in listed["Targets"])
    return Plumbing(url, queue_tags, policy, rule, rule_tags, arns)
