"""A selected instance: what is wrong with its profile and role, and the one repair. Pure.

The repair follows whenOtherProfileAttached for an instance holding another profile whose role
lacks the agent's policies: AttachPolicies attaches them to that role (the application keeps
the profile it relies on), Replace swaps in the agent's profile, Report repairs nothing.
An association still associating or disassociating is in progress: waited on, not repeated.

With whenOtherProfileAttached: Report, and whenever the operator has no repair to make (an
association in progress, another profile without a role), results are non-compliant with
action none: "would_remediate" would claim that Enforce repairs them, which it does not.
ssm.managed_instance is observe-only for the same reason: only the profile makes SSM see an
instance, after a while.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gdpr_operator.model import OtherProfilePolicy
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers.instance_profiles._checks import (
    AGENT_PERMISSIONS,
    PROFILE_ATTACHED,
    SSM_MANAGED,
)
from gdpr_operator.reconcilers.instance_profiles._policy import AGENT_POLICY_ARNS, policy_names
from gdpr_operator.reconcilers.instance_profiles._role_diff import Profile, not_owned

PENDING_STATES = frozenset({"associating", "disassociating"})
REPORT_ONLY = (
    "whenOtherProfileAttached is Report: the operator leaves another application's profile as it is"
)


@dataclass(frozen=True, slots=True)
class HeldProfile:
    """The instance profile an instance holds, and the managed policies of its role."""

    name: str
    role: str | None
    """None when the profile holds no role (or no longer exists)."""
    policies: frozenset[str]


@dataclass(frozen=True, slots=True)
class ProfileAssociation:
    """An instance's profile association, as DescribeIamInstanceProfileAssociations lists it."""

    id: str
    profile_arn: str
    state: str


@dataclass(frozen=True, slots=True)
class ProfiledInstance:
    """A selected instance with the profile it holds, as this component sees it."""

    id: str
    profile: HeldProfile | None
    association: ProfileAssociation | None = None
    """Known once associations were read: whether one is pending, and what Replace needs."""


def pending_state(instance: ProfiledInstance) -> str | None:
    """The association's state while it is in progress (associating, disassociating)."""
    association = instance.association
    return association.state if association and association.state in PENDING_STATES else None


def lacking_policies(profile: HeldProfile) -> tuple[str, ...]:
    return tuple(arn for arn in AGENT_POLICY_ARNS if arn not in profile.policies)


def attached_problem(instance: ProfiledInstance) -> str | None:
    state = pending_state(instance)
    if state:
        return f"profile association {state} (in progress)"
    return "no instance profile attached" if instance.profile is None else None


def permissions_problem(instance: ProfiledInstance) -> str | None:
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


def compliant(instance: ProfiledInstance) -> bool:
    return attached_problem(instance) is None and permissions_problem(instance) is None


def instance_calls(
    instance: ProfiledInstance, ours: str, when_other: OtherProfilePolicy
) -> tuple[Call, ...]:
    """The calls of the instance's one repair, if the operator makes one (see the module
    docstring): its profile `ours` put on, or the agent's policies on another's role.

    Nothing for an instance holding `ours`: its role is the account component's business.
    """
    profile = instance.profile
    if pending_state(instance):
        return ()
    if profile is None:
        return (_profile_call("associate_iam_instance_profile", InstanceId=instance.id, ours=ours),)
    if profile.name == ours or permissions_problem(instance) is None:
        return ()
    if when_other is OtherProfilePolicy.ATTACH_POLICIES and profile.role is not None:
        # Shared by every instance holding the role, in every region: one call a policy.
        return tuple(
            Call(
                "iam",
                "attach_role_policy",
                {"RoleName": profile.role, "PolicyArn": arn},
                account_wide=True,
                once=True,
            )
            for arn in lacking_policies(profile)
        )
    if when_other is OtherProfilePolicy.REPLACE and instance.association is not None:
        return (
            _profile_call(
                "replace_iam_instance_profile_association",
                AssociationId=instance.association.id,
                ours=ours,
            ),
        )
    return ()


def puts_profile_on(calls: Sequence[Call]) -> bool:
    """Whether the calls put the operator's profile on the instance (which must be its own)."""
    return any(call.service == "ec2" for call in calls)


def instance_delta(
    instance: ProfiledInstance,
    calls: Sequence[Call],
    ours: Profile | None,
    *,
    report_only: bool,
    enforce: bool,
) -> Delta:
    """The instance's profile and permissions, repaired by `calls` (`instance_calls`).

    `ours` is the operator's profile as the pass reads it, when the calls put it on: never
    one the operator does not own; none to put on in Enforce when it does not exist (the
    account component could not create it, and its iam.instance_profile says why).
    `report_only`: the spec asks whenOtherProfileAttached: Report.
    """
    problems = {
        PROFILE_ATTACHED: attached_problem(instance),
        AGENT_PERMISSIONS: permissions_problem(instance),
    }
    if puts_profile_on(calls):
        if ours is not None and not ours.owned:
            return Delta(instance.id, problems, left_alone=not_owned("instance profile", ours.name))
        if ours is None and enforce:
            calls = ()
    if calls:
        return Delta(instance.id, problems, calls=tuple(calls))
    if report_only:
        return Delta(instance.id, problems, not_repairable=REPORT_ONLY)
    return Delta(instance.id, problems, waits=True)


def ssm_delta(instance_id: str, online: frozenset[str]) -> Delta:
    """ssm.managed_instance, observe-only: the agent registers once the instance's role
    allows it, which no write here hastens."""
    return Delta(instance_id, {SSM_MANAGED: ssm_problem(instance_id, online)}, waits=True)


def ssm_problem(instance_id: str, online: frozenset[str]) -> str | None:
    if instance_id in online:
        return None
    return (
        "Systems Manager does not see the instance online (the agent registers once the "
        "instance's role allows it; that can take until the next resync)"
    )


def _profile_call(operation: str, *, ours: str, **params: str) -> Call:
    return Call("ec2", operation, {**params, "IamInstanceProfile": {"Name": ours}})
