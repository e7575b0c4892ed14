"""The selected EC2 instances as the agent sees them: an id and a platform."""

from __future__ import annotations

from dataclasses import dataclass

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers import _instances
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    platform: Platform


async def selected_instances(context: Context, target: Target) -> tuple[Instance, ...]:
    """The instances carrying every selector tag, sorted by id; none without a selector."""
    return tuple(
        Instance(found.id, Platform.WINDOWS if found.windows else Platform.LINUX)
        for found in await _instances.selected_instances(context, target)
    )
