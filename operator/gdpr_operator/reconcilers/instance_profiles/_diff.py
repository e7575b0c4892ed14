"""The agent's role and instance profile: what is wrong, and the IAM calls that repair it. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.model import InstancesSpec, MonitoringSpec
from gdpr_operator.reconcilers.instance_profiles._policy import (
    AGENT_POLICY_ARNS,
    EC2_TRUST_POLICY,
    same_policy,
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


@dataclass(frozen=True, slots=True)
class Profile:
    """An instance profile as GetInstanceProfile describes it."""

    name: str
    arn: str
    roles: tuple[str, ...]
    tags: Mapping[str, str]


def instances_spec(spec: MonitoringSpec) -> InstancesSpec:
    """The spec's instance selection; the components apply only to specs that have one."""
    if spec.instances is None:
        raise ValueError("the spec selects no instances")
    return spec.instances


def required_policies(spec: InstancesSpec) -> tuple[str, ...]:
    """The agent's and SSM's policies, then the spec's additional ones."""
    extra = [arn for arn in spec.additional_policy_arns if arn not in AGENT_POLICY_ARNS]
    return (*AGENT_POLICY_ARNS, *extra)


def missing_policies(spec: InstancesSpec, role: Role | None) -> list[str]:
    attached = role.policies if role else frozenset()
    return [arn for arn in required_policies(spec) if arn not in attached]


def trusts_ec2(role: Role) -> bool:
    return same_policy(role.trust, EC2_TRUST_POLICY)


def role_problem(spec: InstancesSpec, role: Role | None) -> str | None:
    if role is None:
        return f"role {spec.role_name} does not exist"
    problems = []
    if not trusts_ec2(role):
        problems.append("its trust policy is not EC2's alone (ec2.amazonaws.com, sts:AssumeRole)")
    missing = missing_policies(spec, role)
    if missing:
        problems.append(f"policies not attached: {', '.join(policy_names(missing))}")
    return f"role {role.name}: {'; '.join(problems)}" if problems else None


def profile_problem(spec: InstancesSpec, profile: Profile | None) -> str | None:
    if profile is None:
        return f"instance profile {spec.role_name} does not exist"
    if profile.roles == (spec.role_name,):
        return None
    if not profile.roles:
        return f"instance profile {profile.name} holds no role"
    return f"instance profile {profile.name} holds {', '.join(profile.roles)}, not {spec.role_name}"


def repair(
    spec: InstancesSpec, role: Role | None, profile: Profile | None, tags: Mapping[str, str]
) -> list[IamCall]:
    """The IAM calls, in order, that make the role and its profile compliant (none if they are).

    What the operator creates carries `tags`; what it finds it repairs in place, untagged.
    """
    name = spec.role_name
    tag_list = [{"Key": key, "Value": value} for key, value in tags.items()]
    trust = json.dumps(EC2_TRUST_POLICY)
    calls: list[IamCall] = []
    if role is None:
        calls.append(
            (
                "create_role",
                {
                    "RoleName": name,
                    "AssumeRolePolicyDocument": trust,
                    "Tags": tag_list,
                    "Description": "CloudWatch agent and SSM on EC2 instances (gdpr-operator)",
                },
            )
        )
    elif not trusts_ec2(role):
        calls.append(("update_assume_role_policy", {"RoleName": name, "PolicyDocument": trust}))
    calls += [
        ("attach_role_policy", {"RoleName": name, "PolicyArn": arn})
        for arn in missing_policies(spec, role)
    ]
    if profile is None:
        calls.append(("create_instance_profile", {"InstanceProfileName": name, "Tags": tag_list}))
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
