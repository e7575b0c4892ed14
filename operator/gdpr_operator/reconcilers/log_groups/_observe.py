"""Read-only calls. CloudWatch Logs throttles its read APIs hard: log groups are read per
prefix, and streams per log group, a page at a time; never one call per group or stream."""

from __future__ import annotations

from collections.abc import Collection

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.cloudwatch_agent import configs_for, selected_instances
from gdpr_operator.reconcilers.log_groups._diff import LogGroup
from gdpr_operator.reconcilers.log_groups._freshness import Arrivals


async def writers(context: Context, target: Target) -> dict[str, list[str]]:
    """Every log group the spec's agent configurations write to -> the selected instances
    that write a stream (named after the instance) to it, by id; none for a group no
    selected instance writes to."""
    configs = configs_for(context.spec)
    found: dict[str, list[str]] = {
        name: [] for config in configs.values() for name in config.log_group_names
    }
    for instance in await selected_instances(context, target):
        if instance.platform in configs:
            for name in configs[instance.platform].log_group_names:
                found[name].append(instance.id)
    return found


async def read_log_groups(aws: AwsReads, target: Target, prefix: str) -> dict[str, LogGroup]:
    """Every log group whose name starts with `prefix`, by name."""
    return {
        group["logGroupName"]: LogGroup.from_api(group)
        async for page in aws.paginate(
            target, "logs", "describe_log_groups", logGroupNamePrefix=prefix
        )
        for group in page.get("logGroups", [])
    }


async def read_arrivals(
    aws: AwsReads, target: Target, log_group: str, wanted: Collection[str]
) -> Arrivals:
    """When events last arrived in each stream of `log_group`, read until every `wanted`
    stream was seen. Streams come most recently written first, so an estate that ships its
    logs costs about a page per group, whatever streams of old instances it keeps.

    lastIngestionTime, not lastEventTimestamp: AWS updates the latter eventually, up to an
    hour late, which would fail a maximum age of minutes.
    """
    streams: dict[str, float | None] = {}
    async for page in aws.paginate(
        target,
        "logs",
        "describe_log_streams",
        logGroupName=log_group,
        orderBy="LastEventTime",
        descending=True,
    ):
        for stream in page.get("logStreams", []):
            last = stream.get("lastIngestionTime")
            streams[stream["logStreamName"]] = last / 1000 if last is not None else None
        if streams.keys() >= set(wanted):
            break
    return Arrivals(log_group, streams)
