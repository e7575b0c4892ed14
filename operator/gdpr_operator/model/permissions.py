"""What a GdprMonitoring may have the operator do in one account: what it asks for, cut to
what the AwsAccount's `spec.permissions` allows. Pure.

A tenant's spec never decides what privileges exist: the additional policies an agent role
carries, whether other applications' roles receive the agent's policies and whether their
instance profiles may be swapped for the agent's are the cluster admins' decision, made on
the (cluster-scoped) AwsAccount. What is asked beyond it is a
`Denial`, naming the field, and is not done.
"""

from __future__ import annotations

from dataclasses import dataclass

from gdpr_operator.model.spec import (
    AwsAccountSpec,
    InstancesSpec,
    MonitoringSpec,
    OtherProfilePolicy,
    TenantPermissions,
)

ADDITIONAL_POLICIES_FIELD = "spec.instances.instanceProfile.additionalPolicyArns"
WHEN_OTHER_PROFILE_FIELD = "spec.instances.instanceProfile.whenOtherProfileAttached"


@dataclass(frozen=True, slots=True)
class Denial:
    """Part of a spec that its AwsAccount does not permit: nothing is written for it."""

    account: str
    """The AwsAccount's name."""
    field: str
    """The GdprMonitoring field that asks for it."""
    message: str


def permitted_policy_arns(
    instances: InstancesSpec, permissions: TenantPermissions
) -> tuple[str, ...]:
    """The spec's additional policies that the account permits, in the spec's order."""
    allowed = permissions.additional_policy_arns
    return tuple(arn for arn in instances.additional_policy_arns if arn in allowed)


def other_profile_policy(
    instances: InstancesSpec, permissions: TenantPermissions
) -> OtherProfilePolicy:
    """whenOtherProfileAttached as the account permits it: AttachPolicies and Replace become
    Report unless the account allows each."""
    asked = instances.when_other_profile_attached
    needed = _permission_needed(asked, permissions)
    return OtherProfilePolicy.REPORT if needed and not needed[1] else asked


def _permission_needed(
    asked: OtherProfilePolicy, permissions: TenantPermissions
) -> tuple[str, bool] | None:
    """The AwsAccount permission that `asked` needs (its field, and whether it is granted);
    None when it needs none (Report changes nothing)."""
    if asked is OtherProfilePolicy.ATTACH_POLICIES:
        return (
            "attachAgentPoliciesToInstanceRoles",
            permissions.attach_agent_policies_to_instance_roles,
        )
    if asked is OtherProfilePolicy.REPLACE:
        return "replaceOtherInstanceProfiles", permissions.replace_other_instance_profiles
    return None


def denials(spec: MonitoringSpec, account: AwsAccountSpec) -> tuple[Denial, ...]:
    """What `spec` asks of `account` beyond its permissions, one Denial per field."""
    instances = spec.instances
    if instances is None:
        return ()
    found: list[Denial] = []
    permitted = permitted_policy_arns(instances, account.permissions)
    refused = [arn for arn in instances.additional_policy_arns if arn not in permitted]
    if refused:
        found.append(
            Denial(
                account.name,
                ADDITIONAL_POLICIES_FIELD,
                f"{', '.join(refused)} not permitted by AwsAccount {account.name} "
                f"(spec.permissions.additionalPolicyArns, set by cluster administrators); "
                f"never attached",
            )
        )
    asked = instances.when_other_profile_attached
    needed = _permission_needed(asked, account.permissions)
    if needed and not needed[1]:
        found.append(
            Denial(
                account.name,
                WHEN_OTHER_PROFILE_FIELD,
                f"{asked} not permitted by AwsAccount {account.name} "
                f"(spec.permissions.{needed[0]}, set by cluster administrators): instances "
                f"holding another profile are only reported",
            )
        )
    return tuple(found)
