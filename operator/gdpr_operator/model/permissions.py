"""What a GdprMonitoring may have the operator do in one account: what it asks for, cut to
what the AwsAccount's `spec.permissions` allows. Pure.

A tenant's spec never decides what privileges exist: the additional policies an agent role
carries and whether other applications' roles receive the agent's policies are the cluster
admins' decision, made on the (cluster-scoped) AwsAccount. What is asked beyond it is a
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
    """whenOtherProfileAttached as the account permits it: AttachPolicies becomes Report
    unless the account allows giving other roles the agent's policies."""
    asked = instances.when_other_profile_attached
    if (
        asked is OtherProfilePolicy.ATTACH_POLICIES
        and not permissions.attach_agent_policies_to_instance_roles
    ):
        return OtherProfilePolicy.REPORT
    return asked


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
    if (
        other_profile_policy(instances, account.permissions)
        is not instances.when_other_profile_attached
    ):
        found.append(
            Denial(
                account.name,
                WHEN_OTHER_PROFILE_FIELD,
                f"AttachPolicies not permitted by AwsAccount {account.name} "
                f"(spec.permissions.attachAgentPoliciesToInstanceRoles, set by cluster "
                f"administrators): instances holding another profile are only reported",
            )
        )
    return tuple(found)
