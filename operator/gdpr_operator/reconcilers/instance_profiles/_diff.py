"""The agent's role and instance profile: what is wrong, and the IAM calls that repair it. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.model import InstancesSpec, MonitoringSpec
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._tags import (
    IAM_PATH,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    managed_by_operator,
    tag_list,
)
from gdpr_operator.reconcilers.instance_profiles._policy import (
    AGENT_POLICY_ARNS,
    EC2_TRUST_POLICY,
)

IamCall = tuple[str, dict[str, Any]]
"""(operation, parameters) of one IAM call."""


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
        return self.path == IAM_PATH and managed_by_operator(self.tags)


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
        return self.path == IAM_PATH and managed_by_operator(self.tags)


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


def required_policies(permitted: tuple[str, ...]) -> tuple[str, ...]:
    """The agent's and SSM's policies, then the spec's additional ones that its AwsAccount
    permits (`permitted_policy_arns`)."""
    return (*AGENT_POLICY_ARNS, *(arn for arn in permitted if arn not in AGENT_POLICY_ARNS))


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


def repair(
    spec: InstancesSpec,
    role: Role | None,
    profile: Profile | None,
    tags: Mapping[str, str],
    permitted: tuple[str, ...],
) -> list[IamCall]:
    """The IAM calls, in order, that make the role and its profile compliant (none if they are).

    Only what the operator owns is changed, and what it creates is its own: under IAM_PATH,
    carrying `tags`. A role or profile of that name that it does not own gets no call at
    all, and its profile none either when the role is not the operator's (a profile passes
    its role to every instance that holds it).
    """
    name = spec.role_name
    trust = json.dumps(EC2_TRUST_POLICY)
    calls: list[IamCall] = []
    if role is not None and not role.owned:
        return calls
    if role is None:
        calls.append(
            (
                "create_role",
                {
                    "RoleName": name,
                    "Path": IAM_PATH,
                    "AssumeRolePolicyDocument": trust,
                    "Tags": tag_list(tags),
                    "Description": "CloudWatch agent and SSM on EC2 instances (gdpr-operator)",
                },
            )
        )
    elif not trusts_ec2(role):
        calls.append(("update_assume_role_policy", {"RoleName": name, "PolicyDocument": trust}))
    calls += [
        ("attach_role_policy", {"RoleName": name, "PolicyArn": arn})
        for arn in missing_policies(permitted, role)
    ]
    if profile is not None and not profile.owned:
        return calls
    if profile is None:
        calls.append(
            (
                "create_instance_profile",
                {"InstanceProfileName": name, "Path": IAM_PATH, "Tags": tag_list(tags)},
            )
        )
    held = profile.roles if profile else ()
    calls += [
        ("remove_role_from_instance_profile", {"InstanceProfileName": name, "RoleName": other})
        for other in held
        if other != name
    ]
    if name not in held:
        calls.append(
            ("add_role_to_instance_profile", {"InstanceProfileName": name, "RoleName": name})
        )
    return calls


def policy_names(arns: list[str] | tuple[str, ...]) -> list[str]:
    """Policy names for people: the last part of each ARN."""
    return [arn.rsplit("/", 1)[-1] for arn in arns]
