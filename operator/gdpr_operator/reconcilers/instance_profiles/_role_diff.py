"""The agent's role and instance profile: what is wrong, and the IAM calls that repair it. Pure.

Only what the operator owns is changed, and what it creates is its own: under IAM_PATH,
carrying its tags. A role or profile of the requested name that it does not own gets no
call at all, and its profile none either when the role is not the operator's (a profile
passes its role to every instance that holds it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import tag_list
from gdpr_operator.model import InstancesSpec, MonitoringSpec
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._tags import (
    IAM_PATH,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    iam_owned,
)
from gdpr_operator.reconcilers.instance_profiles._checks import AGENT_ROLE, INSTANCE_PROFILE
from gdpr_operator.reconcilers.instance_profiles._policy import (
    EC2_TRUST_POLICY,
    policy_names,
    required_policies,
)


@dataclass(frozen=True, slots=True)
class Role:
    """A role as GetRole and ListAttachedRolePolicies describe it."""

    name: str
    trust: Mapping[str, Any]
    policies: frozenset[str]
    tags: Mapping[str, str]
    path: str = "/"

    @property
    def owned(self) -> bool:
        return iam_owned(self.path, self.tags)


@dataclass(frozen=True, slots=True)
class Profile:
    """An instance profile as GetInstanceProfile describes it."""

    name: str
    arn: str
    roles: tuple[str, ...]
    tags: Mapping[str, str]
    path: str = "/"

    @property
    def owned(self) -> bool:
        return iam_owned(self.path, self.tags)


def not_owned(kind: str, name: str) -> str:
    """Why an IAM role or profile of the requested name is left alone, and how it can be
    handed over (by the account owner: never by a GdprMonitoring)."""
    return (
        f"{kind} {name} exists and was not created by gdpr-operator (not under IAM path "
        f"{IAM_PATH} tagged {MANAGED_BY_KEY}={MANAGED_BY_VALUE}): it is never modified nor "
        f"put on instances. To hand it over, the account owner recreates it under that path "
        f"with that tag (IAM cannot move it to another path), or deletes it for the operator "
        f"to create its own; or choose another spec.instances.instanceProfile.roleName"
    )


def instances_spec(spec: MonitoringSpec) -> InstancesSpec:
    """The spec's instance selection; the components apply only to specs that have one."""
    if spec.instances is None:
        raise ValueError("the spec selects no instances")
    return spec.instances


def missing_policies(permitted: tuple[str, ...], role: Role | None) -> list[str]:
    attached = role.policies if role else frozenset()
    return [arn for arn in required_policies(permitted) if arn not in attached]


def trusts_ec2(role: Role) -> bool:
    return same_policy(role.trust, EC2_TRUST_POLICY)


def role_problem(spec: InstancesSpec, role: Role | None, permitted: tuple[str, ...]) -> str | None:
    if role is None:
        return f"role {spec.role_name} does not exist"
    if not role.owned:
        return not_owned("role", role.name)
    problems = []
    if not trusts_ec2(role):
        problems.append("its trust policy is not EC2's alone (ec2.amazonaws.com, sts:AssumeRole)")
    missing = missing_policies(permitted, role)
    if missing:
        problems.append(f"policies not attached: {', '.join(policy_names(missing))}")
    return f"role {role.name}: {'; '.join(problems)}" if problems else None


def profile_problem(spec: InstancesSpec, profile: Profile | None) -> str | None:
    if profile is None:
        return f"instance profile {spec.role_name} does not exist"
    if not profile.owned:
        return not_owned("instance profile", profile.name)
    if profile.roles == (spec.role_name,):
        return None
    if not profile.roles:
        return f"instance profile {profile.name} holds no role"
    return f"instance profile {profile.name} holds {', '.join(profile.roles)}, not {spec.role_name}"


def agent_role_deltas(
    spec: InstancesSpec,
    role: Role | None,
    profile: Profile | None,
    tags: Mapping[str, str],
    permitted: tuple[str, ...],
) -> tuple[Delta, ...]:
    """The role and its profile: one delta with the calls of both, in order (the role first),
    while both are the operator's or missing; else one delta each, where the one the
    operator does not own is left as it is (its result says why, action none)."""
    name = spec.role_name
    role_checks = {AGENT_ROLE: role_problem(spec, role, permitted)}
    profile_checks = {INSTANCE_PROFILE: profile_problem(spec, profile)}
    calls = agent_role_calls(spec, role, profile, tags, permitted)
    foreign_profile = profile is not None and not profile.owned
    if role is not None and not role.owned:
        return Delta(name, role_checks, waits=True), Delta(
            name, profile_checks, waits=foreign_profile
        )
    if foreign_profile:
        return Delta(name, role_checks, calls=calls), Delta(name, profile_checks, waits=True)
    return (Delta(name, {**role_checks, **profile_checks}, calls=calls),)


def agent_role_calls(
    spec: InstancesSpec,
    role: Role | None,
    profile: Profile | None,
    tags: Mapping[str, str],
    permitted: tuple[str, ...],
) -> tuple[Call, ...]:
    """The IAM calls, in order, that make the role and its profile compliant (none if they
    are), leaving alone what the operator does not own (see the module docstring)."""
    if role is not None and not role.owned:
        return ()
    name = spec.role_name
    trust = json.dumps(EC2_TRUST_POLICY)
    calls: list[Call] = []
    if role is None:
        calls.append(
            Call.iam(
                "create_role",
                RoleName=name,
                Path=IAM_PATH,
                AssumeRolePolicyDocument=trust,
                Tags=tag_list(tags),
                Description="CloudWatch agent and SSM on EC2 instances (gdpr-operator)",
            )
        )
    elif not trusts_ec2(role):
        calls.append(Call.iam("update_assume_role_policy", RoleName=name, PolicyDocument=trust))
    calls += [
        Call.iam("attach_role_policy", RoleName=name, PolicyArn=arn)
        for arn in missing_policies(permitted, role)
    ]
    if profile is not None and not profile.owned:
        return tuple(calls)
    if profile is None:
        calls.append(
            Call.iam(
                "create_instance_profile",
                InstanceProfileName=name,
                Path=IAM_PATH,
                Tags=tag_list(tags),
            )
        )
    held = profile.roles if profile else ()
    calls += [
        Call.iam("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=other)
        for other in held
        if other != name
    ]
    if name not in held:
        calls.append(
            Call.iam("add_role_to_instance_profile", InstanceProfileName=name, RoleName=name)
        )
    return tuple(calls)
