"""Selected instances per account and region: the agent's profile attached, its role able.

Costs of a converged region: DescribeInstances (1000 a page; the profile each instance holds
comes with it), DescribeInstanceInformation (50 a page, filtered to the selected instances
online), and IAM reads once per distinct profile and role for the whole pass. Associations
are read (one paginated listing) only when some instance needs a repair: to wait on pending
ones, and for the association ids that Replace needs.

In Report mode, and whenever the operator has no repair to make (an association in progress,
another profile without a role), results are non-compliant with action none: "would_remediate"
would claim that Enforce repairs them, which it does not. ssm.managed_instance is observe-only
for the same reason: only the profile makes SSM see an instance, after a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from gdpr_operator.aws import Target
from gdpr_operator.model import (
    Action,
    CheckInfo,
    CheckResult,
    MonitoringSpec,
    OtherProfilePolicy,
    other_profile_policy,
)
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._instances import selected_instances
from gdpr_operator.reconcilers._settle import left_alone, settle
from gdpr_operator.reconcilers.instance_profiles._checks import (
    AGENT_PERMISSIONS,
    INSTANCE_CHECKS,
    INSTANCE_GRANTS,
    PROFILE_ATTACHED,
    SSM_MANAGED,
)
from gdpr_operator.reconcilers.instance_profiles._diff import instances_spec, not_owned
from gdpr_operator.reconcilers.instance_profiles._ec2 import (
    current_associations,
    online_in_ssm,
    profile_name,
)
from gdpr_operator.reconcilers.instance_profiles._iam import (
    attach_once,
    shared_policies,
    shared_profile,
)
from gdpr_operator.reconcilers.instance_profiles._instance_diff import (
    Associate,
    Association,
    AttachPolicies,
    HeldProfile,
    Instance,
    Repair,
    Replace,
    attached_problem,
    permissions_problem,
    repair,
    ssm_problem,
)


class InstanceProfiles:
    component = "InstanceProfiles"
    checks = INSTANCE_CHECKS
    iam_actions = declared_actions(INSTANCE_CHECKS)
    grants = INSTANCE_GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        selector = instances_spec(context.spec).selector_tags
        found = {
            instance.id: instance.profile_arn
            for instance in await selected_instances(context, target)
        }
        if not found:
            return ComponentReport()
        online, instances = await asyncio.gather(
            online_in_ssm(context.aws, target, selector), _instances(context, target, found)
        )
        if not all(_compliant(instance) for instance in instances):
            associations = await current_associations(context.aws, target)
            instances = await _instances(context, target, found, associations)
        per_instance = await asyncio.gather(
            *(_results(context, target, instance, online) for instance in instances)
        )
        return ComponentReport(results=[result for results in per_instance for result in results])

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Nothing here: AgentRole's release detaches the profile from the selected instances
        of the spec's regions before it deletes the profile; a regional release, which the
        engine runs after the account components, would come too late."""
        return ComponentReport()


REPORT_ONLY = (
    "whenOtherProfileAttached is Report: the operator leaves another application's profile as it is"
)


async def _instances(
    context: Context,
    target: Target,
    found: Mapping[str, str | None],
    associations: Mapping[str, Association] | None = None,
) -> list[Instance]:
    """The instances with the profiles they hold: as DescribeInstances shows them, or, once
    associations are read, as those say (pending ones included)."""
    known = associations or {}
    if associations is not None:
        found = {
            instance_id: known[instance_id].profile_arn if instance_id in known else None
            for instance_id in found
        }
    names = sorted({profile_name(arn) for arn in found.values() if arn})
    held = dict(
        zip(
            names,
            await asyncio.gather(*(_held(context, target, name) for name in names)),
            strict=True,
        )
    )
    return [
        Instance(instance_id, held[profile_name(arn)] if arn else None, known.get(instance_id))
        for instance_id, arn in found.items()
    ]


async def _held(context: Context, target: Target, name: str) -> HeldProfile:
    profile = await shared_profile(context, target, name)
    role = profile.roles[0] if profile and profile.roles else None  # a profile holds one role
    policies = await shared_policies(context, target, role) if role else frozenset[str]()
    return HeldProfile(name, role, policies)


def _compliant(instance: Instance) -> bool:
    return attached_problem(instance) is None and permissions_problem(instance) is None


async def _results(
    context: Context, target: Target, instance: Instance, online: frozenset[str]
) -> list[CheckResult]:
    wanted = instances_spec(context.spec)
    problems = {
        PROFILE_ATTACHED: attached_problem(instance),
        AGENT_PERMISSIONS: permissions_problem(instance),
    }
    observed = {SSM_MANAGED: ssm_problem(instance.id, online)}
    fix = repair(instance, wanted.role_name, other_profile_policy(wanted, context.permissions))
    if isinstance(fix, Associate | Replace):
        ours = await shared_profile(context, target, wanted.role_name)
        if ours is not None and not ours.owned:
            # Never put a profile the operator does not own (nor its role) on instances.
            unrepaired = await _reported(target, problems, instance.id)
            return left_alone(unrepaired, not_owned("instance profile", ours.name)) + (
                await _reported(target, observed, instance.id)
            )
        if ours is None and context.spec.enforce:
            fix = None  # not created (iam.instance_profile says why): nothing to attach
    if fix is None:
        reported = wanted.when_other_profile_attached is OtherProfilePolicy.REPORT
        return await _reported(
            target, problems, instance.id, REPORT_ONLY if reported else ""
        ) + await _reported(target, observed, instance.id)
    repaired = await settle(
        target,
        target.region,
        problems,
        instance.id,
        enforce=context.spec.enforce,
        apply=lambda: _apply(context, target, fix),
    )
    return repaired + await _reported(target, observed, instance.id)


async def _reported(
    target: Target,
    problems: Mapping[CheckInfo, str | None],
    resource: str,
    not_repairable: str = "",
) -> list[CheckResult]:
    """Results of checks this component does not repair: action none in every mode."""
    results = await settle(target, target.region, problems, resource, enforce=False, apply=None)
    return [
        replace(
            result,
            action=Action.NONE,
            not_repairable="" if result.compliant else not_repairable,
        )
        for result in results
    ]


async def _apply(context: Context, target: Target, fix: Repair) -> None:
    match fix:
        case Associate(instance_id, profile):
            await context.write.call(
                target,
                "ec2",
                "associate_iam_instance_profile",
                InstanceId=instance_id,
                IamInstanceProfile={"Name": profile},
            )
        case Replace(association_id, profile):
            await context.write.call(
                target,
                "ec2",
                "replace_iam_instance_profile_association",
                AssociationId=association_id,
                IamInstanceProfile={"Name": profile},
            )
        case AttachPolicies(role, policy_arns):
            # Shared by every instance holding the role, in every region: one call a policy.
            await asyncio.gather(*(attach_once(context, target, role, arn) for arn in policy_arns))
