"""The EC2 instances a spec selects: one DescribeInstances listing per pass and region, shared
by every component that needs it (instance profiles, the agent, log groups). No other instance
is ever read or named."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context, PassRead

LIVE_STATES = ("pending", "running", "stopping", "stopped")
"""Selected whether running or stopped (the CRD says so); terminated ones are gone and
shutting-down ones going."""
DESCRIBE_INSTANCES_PAGE = 1000
"""The API's largest page."""


@dataclass(frozen=True, slots=True)
class SelectedInstance:
    id: str
    windows: bool
    """EC2 sets Platform only for Windows; everything else runs the Linux agent."""
    profile_arn: str | None
    """The instance profile DescribeInstances shows (None: none)."""

    @classmethod
    def from_api(cls, reply: Mapping[str, Any]) -> SelectedInstance:
        return cls(
            reply["InstanceId"],
            reply.get("Platform", "").lower() == "windows",
            reply.get("IamInstanceProfile", {}).get("Arn"),
        )


SELECTED_INSTANCES = PassRead[
    tuple[str, str, tuple[tuple[str, str], ...]], tuple[SelectedInstance, ...]
]("ec2.selected_instances")
"""The instances a selector picks in (account, region, selector tags), read once a pass for
the instance profiles, the agent and the log groups."""


async def describe_selected(
    aws: AwsReads, target: Target, tags: Mapping[str, str]
) -> tuple[SelectedInstance, ...]:
    """The live instances carrying every tag of `tags`, sorted by id, read now."""
    filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in sorted(tags.items())]
    filters.append({"Name": "instance-state-name", "Values": list(LIVE_STATES)})
    found = [
        SelectedInstance.from_api(instance)
        async for page in aws.paginate(
            target,
            "ec2",
            "describe_instances",
            Filters=filters,
            PaginationConfig={"PageSize": DESCRIBE_INSTANCES_PAGE},
        )
        for reservation in page.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    ]
    return tuple(sorted(found, key=lambda instance: instance.id))


async def selected_instances(context: Context, target: Target) -> tuple[SelectedInstance, ...]:
    """The instances the spec selects in `target`, as the pass first read them; none without
    a selector."""
    instances = context.spec.instances
    if instances is None:
        return ()
    tags = dict(instances.selector_tags)
    key = (target.account, target.region, tuple(sorted(tags.items())))
    return await context.reads.once(
        SELECTED_INSTANCES, key, lambda: describe_selected(context.aws, target, tags)
    )
