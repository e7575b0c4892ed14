"""The agent's role and profile once per account (IAM is global), and that profile on the
selected instances of each region.

deletionPolicy Delete (AgentRole's release) takes back the agent's profile and role, if this
owner created them:
- Only the operator's own are touched (under its IAM path, tagged as created for this
  owner), and none while another live GdprMonitoring declares the same role in the account.
- The profile is detached from the selected instances of the pass's regions, then deleted
  with its role, unless an instance the spec does not select still holds it there: deleting
  it would take that instance's credentials. Limit: regions the spec does not name are not
  looked at; an instance there that someone gave the operator's profile loses it.
- A profile or role the operator did not create is left alone, and so is every association
  of another profile.
- Policies attached to another profile's role (AttachPolicies) stay attached: the operator
  cannot tell whether someone relied on them since, and remembering what it attached would
  mean tagging the customer's role. Both are AWS managed policies, for the agent and SSM.

Costs of a converged region: DescribeInstances (1000 a page; the profile each instance holds
comes with it), DescribeInstanceInformation (50 a page, filtered to the selected instances
online), and IAM reads once per distinct profile and role for the whole pass. Associations
are read (one paginated listing) only when some instance needs a repair: to wait on pending
ones, and for the association ids that Replace needs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from gdpr_operator.aws import Target
from gdpr_operator.model import (
    Action,
    CheckResult,
    InstancesSpec,
    MonitoringSpec,
    OtherProfilePolicy,
    other_profile_policy,
    permitted_policy_arns,
)
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import settle_all
from gdpr_operator.reconcilers._instances import describe_selected, selected_instances
from gdpr_operator.reconcilers._tags import created_by, ownership_tags
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.instance_profiles import _observe
from gdpr_operator.reconcilers.instance_profiles._checks import (
    ACCOUNT_CHECKS,
    ACCOUNT_GRANTS,
    AGENT_ROLE,
    INSTANCE_CHECKS,
    INSTANCE_GRANTS,
    RELEASE_ACTIONS,
)
from gdpr_operator.reconcilers.instance_profiles._instance_diff import (
    ProfiledInstance,
    compliant,
    instance_calls,
    instance_delta,
    puts_profile_on,
    ssm_delta,
)
from gdpr_operator.reconcilers.instance_profiles._role_diff import (
    Profile,
    agent_role_deltas,
    instances_spec,
)

logger = logging.getLogger(__name__)


class AgentRole:
    component = "AgentRole"
    checks = ACCOUNT_CHECKS
    iam_actions = declared_actions(ACCOUNT_CHECKS, RELEASE_ACTIONS)
    grants = ACCOUNT_GRANTS
    global_scope = True
    depends_on = frozenset[str]()

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        wanted, enforce = instances_spec(context.spec), context.spec.enforce
        permitted = permitted_policy_arns(wanted, context.permissions)
        role, profile = await asyncio.gather(
            _observe.role(context.aws, target, wanted.role_name),
            _observe.profile(context.aws, target, wanted.role_name),
        )
        deltas = agent_role_deltas(wanted, role, profile, ownership_tags(context.owner), permitted)
        results = await settle_all(context.write, target, deltas, enforce=enforce)
        if not (enforce and any(delta.calls for delta in deltas)):
            _observe.share_unchanged(context, target, role, profile)
        # A result names what exists: what was there, or what this pass created.
        return ComponentReport(
            results=[
                result
                if result.action is Action.REMEDIATED
                or (role if result.check == AGENT_ROLE.id else profile) is not None
                else replace(result, resource="")
                for result in results
            ]
        )

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Remove this owner's profile and role when nothing else holds or declares them
        (see the module docstring)."""
        wanted = instances_spec(context.spec)
        keeping = sorted(
            other.owner
            for other in context.others
            if other.spec.instances is not None
            and other.spec.instances.role_name == wanted.role_name
            and target.account_id in other.account_ids
        )
        profile = await _observe.profile(context.aws, target, wanted.role_name)
        role = await _observe.role(context.aws, target, wanted.role_name)
        mine = [
            found
            for found in (profile, role)
            if found is not None and found.owned and created_by(found.tags, context.owner)
        ]
        if mine and keeping:
            return ComponentReport(
                kept=[
                    f"role and instance profile {wanted.role_name} in {target.account}: "
                    f"{', '.join(keeping)} still declare(s) them"
                ]
            )
        released: list[str] = []
        if profile is not None and profile in mine:
            regions = context.regions
            if not regions:  # no instance could be detached first: keep the profile
                return ComponentReport(
                    kept=[f"instance profile {profile.name} in {target.account}: no region known"]
                )
            outcomes = await asyncio.gather(
                *(
                    _release_region(context, Target(target.access, region), wanted, profile)
                    for region in regions
                )
            )
            released += [
                f"instance profile {profile.name} detached from {detached} instance(s) "
                f"in {target.account}/{region}"
                for region, (detached, _) in zip(regions, outcomes, strict=True)
                if detached
            ]
            held = {
                region: held for region, (_, held) in zip(regions, outcomes, strict=True) if held
            }
            if held:
                logger.warning(
                    "kept instance profile %s and role %s in %s: instances the spec "
                    "does not select hold it (per region: %s)",
                    profile.name,
                    wanted.role_name,
                    target.account,
                    held,
                )
                return ComponentReport(released=released)
            await _delete_profile(context, target, profile)
            released.append(f"instance profile {profile.name} in {target.account}")
        if role is not None and role in mine:
            if await _observe.role_in_a_profile(context.aws, target, role.name):
                logger.warning(
                    "kept role %s in %s: an instance profile holds it", role.name, target.account
                )
                return ComponentReport(released=released)
            iam = iam_target(target)
            for arn in sorted(role.policies):
                await context.write.call(
                    iam, "iam", "detach_role_policy", RoleName=role.name, PolicyArn=arn
                )
            await context.write.call(iam, "iam", "delete_role", RoleName=role.name)
            released.append(f"role {role.name} in {target.account}")
        return ComponentReport(released=released)


class InstanceProfiles:
    component = "InstanceProfiles"
    checks = INSTANCE_CHECKS
    iam_actions = declared_actions(INSTANCE_CHECKS)
    grants = INSTANCE_GRANTS
    global_scope = False
    # It puts AgentRole's profile on the instances and checks the policies of its role.
    depends_on = frozenset({AgentRole.component})

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
            _observe.online_in_ssm(context.aws, target, selector),
            _observe.profiled_instances(context, target, found),
        )
        if not all(compliant(instance) for instance in instances):
            associations = await _observe.current_associations(context.aws, target)
            instances = await _observe.profiled_instances(context, target, found, associations)
        per_instance = await asyncio.gather(
            *(_instance(context, target, instance, online) for instance in instances)
        )
        return ComponentReport(results=[result for results in per_instance for result in results])

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Nothing here: AgentRole's release detaches the profile from the selected instances
        of the pass's regions before it deletes the profile; a regional release, which the
        engine runs after the account components, would come too late."""
        return ComponentReport()


async def _instance(
    context: Context, target: Target, instance: ProfiledInstance, online: frozenset[str]
) -> list[CheckResult]:
    wanted = instances_spec(context.spec)
    when_other = other_profile_policy(wanted, context.permissions)
    calls = instance_calls(instance, wanted.role_name, when_other)
    # The operator's profile is read (once a pass) only when a repair would put it on.
    ours = (
        await _observe.shared_profile(context, target, wanted.role_name)
        if puts_profile_on(calls)
        else None
    )
    delta = instance_delta(
        instance,
        calls,
        ours,
        report_only=wanted.when_other_profile_attached is OtherProfilePolicy.REPORT,
        enforce=context.spec.enforce,
    )
    return await settle_all(
        context.write,
        target,
        (delta, ssm_delta(instance.id, online)),
        enforce=context.spec.enforce,
    )


async def _release_region(
    context: Context, target: Target, wanted: InstancesSpec, profile: Profile
) -> tuple[int, int]:
    """Detach the profile from the region's selected instances: (how many were detached,
    how many other instances still hold it)."""
    held = {
        instance_id: association
        for instance_id, association in (
            await _observe.current_associations(context.aws, target)
        ).items()
        if association.profile_arn == profile.arn and association.state != "disassociating"
    }
    if not held:
        return 0, 0
    selected = {
        instance.id
        for instance in await describe_selected(context.aws, target, wanted.selector_tags)
    }
    mine = [association for instance_id, association in held.items() if instance_id in selected]
    await asyncio.gather(
        *(
            context.write.call(
                target, "ec2", "disassociate_iam_instance_profile", AssociationId=association.id
            )
            for association in mine
        )
    )
    return len(mine), len(held) - len(mine)


async def _delete_profile(context: Context, target: Target, profile: Profile) -> None:
    iam = iam_target(target)
    for role in profile.roles:
        await context.write.call(
            iam,
            "iam",
            "remove_role_from_instance_profile",
            InstanceProfileName=profile.name,
            RoleName=role,
        )
    await context.write.call(
        iam, "iam", "delete_instance_profile", InstanceProfileName=profile.name
    )
