"""A selected instance: what is wrong with its profile and role, and the one repair. Pure.

The repair follows whenOtherProfileAttached for an instance holding another profile whose role
lacks the agent's policies: AttachPolicies attaches them to that role (the application keeps
the profile it relies on), Replace swaps in the agent's profile, Report repairs nothing.
An association still associating or disassociating is in progress: waited on, not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

from gdpr_operator.model import OtherProfilePolicy
from gdpr_operator.reconcilers.instance_profiles._diff import policy_names
from gdpr_operator.reconcilers.instance_profiles._policy import AGENT_POLICY_ARNS

PENDING_STATES = frozenset({"associating", "disassociating"})


@dataclass(frozen=True, slots=True)
class HeldProfile:
    """The instance profile an instance holds, and the managed policies of its role."""

    name: str
    role: str | None
    """None when the profile holds no role (or no longer exists)."""
    policies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Association:
    """An instance's profile association, as DescribeIamInstanceProfileAssociations lists it."""

    id: str
    profile_arn: str
    state: str


@dataclass(frozen=True, slots=True)
class Instance:
    """A selected instance as the operator sees it."""

    id: str
    profile: HeldProfile | None
    association: Association | None = None
    """Known once associations were read: whether one is pending, and what Replace needs."""


@dataclass(frozen=True, slots=True)
class Associate:
    instance_id: str
    profile: str


@dataclass(frozen=True, slots=True)
class Replace:
    association_id: str
    profile: str


@dataclass(frozen=True, slots=True)
class AttachPolicies:
    role: str
    policy_arns: tuple[str, ...]


Repair = Associate | Replace | AttachPolicies


def pending_state(instance: Instance) -> str | None:
    """The association's state while it is in progress (associating, disassociating)."""
    association = instance.association
    return association.state if association and association.state in PENDING_STATES else None


def lacking_policies(profile: HeldProfile) -> tuple[str, ...]:
    return tuple(arn for arn in AGENT_POLICY_ARNS if arn not in profile.policies)


def attached_problem(instance: Instance) -> str | None:
    state = pending_state(instance)
    if state:
        return f"profile association {state} (in progress)"
    return "no instance profile attached" if instance.profile is None else None


def permissions_problem(instance: Instance) -> str | None:
    profile, state = instance.profile, pending_state(instance)
    if state:
        return f"waiting for the profile association ({state})"
    if profile is None:
        return "no instance profile, so no role for the agent"
    if profile.role is None:
        return f"instance profile {profile.name} holds no role"
    lacking = lacking_policies(profile)
    if not lacking:
        return None
    return (
        f"role {profile.role} (instance profile {profile.name}) lacks "
        f"{', '.join(policy_names(lacking))}"
    )


def repair(instance: Instance, ours: str, when_other: OtherProfilePolicy) -> Repair | None:
    """The repair of one instance, if the operator makes one (see the module docstring).

    Nothing for an instance holding `ours`: its role is the account component's business.
    """
    profile = instance.profile
    if pending_state(instance):
        return None
    if profile is None:
        return Associate(instance.id, ours)
    if profile.name == ours or permissions_problem(instance) is None:
        return None
    if when_other is OtherProfilePolicy.ATTACH_POLICIES and profile.role is not None:
        return AttachPolicies(profile.role, lacking_policies(profile))
    if when_other is OtherProfilePolicy.REPLACE and instance.association is not None:
        return Replace(instance.association.id, ours)
    return None


def ssm_problem(instance_id: str, online: frozenset[str]) -> str | None:
    if instance_id in online:
        return None
    return (
        "Systems Manager does not see the instance online (the agent registers once the "
        "instance's role allows it; that can take until the next resync)"
    )
