"""The EC2 instances a spec selects, read once per pass and region for every component."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform

_LIVE_STATES = ("pending", "running", "stopping", "stopped")
"""Selected whether running or stopped (the CRD says so); terminated ones are gone."""


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    platform: Platform

    @classmethod
    def from_api(cls, reply: Mapping[str, Any]) -> Instance:
        # EC2 sets Platform only for Windows.
        windows = reply.get("Platform", "").lower() == "windows"
        return cls(reply["InstanceId"], Platform.WINDOWS if windows else Platform.LINUX)


async def selected_instances(context: Context, target: Target) -> tuple[Instance, ...]:
    """The instances carrying every selector tag, sorted by id; none without a selector."""
    instances = context.spec.instances
    if instances is None:
        return ()
    selector = dict(instances.selector_tags)

    async def read() -> tuple[Instance, ...]:
        filters = [{"Name": f"tag:{key}", "Values": [value]}
                   for key, value in sorted(selector.items())]
        filters.append({"Name": "instance-state-name", "Values": list(_LIVE_STATES)})
        found = [Instance.from_api(instance)
                 async for page in context.aws.paginate(target, "ec2", "describe_instances",
                                                        Filters=filters)
                 for reservation in page.get("Reservations", [])
                 for instance in reservation.get("Instances", [])]
        return tuple(sorted(found, key=lambda instance: instance.id))

    key = ("ec2.selected_instances", target.account, target.region,
           tuple(sorted(selector.items())))
    return await context.reads.once(key, read)
