"""deletionPolicy Delete: take back the agent's profile and role, if this owner created them.

- Only the operator's own are touched (under its IAM path, tagged as created for this
  owner), and none while another live GdprMonitoring declares the same role in the account.
- The profile is detached from the selected
  instances of the spec's regions, then deleted with its role, unless an instance the spec
  does not select still holds it there: deleting it would take that instance's credentials.
  Limit: regions the spec does not name are not looked at; an instance there that someone
  gave the operator's profile loses it.
- A profile or role the operator did not create is left alone, and so is every association
  of another profile.
- Policies attached to another profile's role (AttachPolicies) stay attached: the operator
  cannot tell whether someone relied on them since, and remembering what it attached would
  mean tagging the customer's role. Both are AWS managed policies, for the agent and SSM.
"""

from __future__ import annotations

import asyncio
import logging

from gdpr_operator.aws import Target
from gdpr_operator.model import InstancesSpec
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import ComponentReport, Context
from gdpr_operator.reconcilers._instances import describe_selected
from gdpr_operator.reconcilers._tags import created_by
from gdpr_operator.reconcilers.instance_profiles._diff import Profile, instances_spec
from gdpr_operator.reconcilers.instance_profiles._ec2 import (
    current_associations,
)
from gdpr_operator.reconcilers.instance_profiles._iam import iam_target, read_profile, read_role

logger = logging.getLogger(__name__)

RELEASE_ACTIONS = frozenset(
    {
        "ec2:DescribeRegions",
        "ec2:DescribeInstances",
        "ec2:DescribeIamInstanceProfileAssociations",
        "ec2:DisassociateIamInstanceProfile",
    }
)
"""Calls of the account component's release beyond its checks' (it works in the regions)."""


async def release_agent(context: Context, target: Target) -> ComponentReport:
    """Remove this owner's profile and role when nothing else holds or declares them."""
    wanted = instances_spec(context.spec)
    keeping = sorted(
        other.owner
        for other in context.others
        if other.spec.instances is not None
        and other.spec.instances.role_name == wanted.role_name
        and target.account_id in other.account_ids
    )
    profile = await read_profile(context.aws, target, wanted.role_name)
    role = await read_role(context.aws, target, wanted.role_name)
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
        regions = await context.aws.regions(target.access, context.spec.regions)
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
        held = {region: held for region, (_, held) in zip(regions, outcomes, strict=True) if held}
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
        if await _in_a_profile(context.aws, target, role.name):
            logger.warning(
                "kept role %s in %s: an instance profile holds it", role.name, target.account
            )
            return ComponentReport(released=released)
        for arn in sorted(role.policies):
            await context.write.call(
                iam_target(target), "iam", "detach_role_policy", RoleName=role.name, PolicyArn=arn
            )
        await context.write.call(iam_target(target), "iam", "delete_role", RoleName=role.name)
        released.append(f"role {role.name} in {target.account}")
    return ComponentReport(released=released)


async def _release_region(
    context: Context, target: Target, wanted: InstancesSpec, profile: Profile
) -> tuple[int, int]:
    """Detach the profile from the region's selected instances: (how many were detached,
    how many other instances still hold it)."""
    held = {
        instance_id: association
        for instance_id, association in (await current_associations(context.aws, target)).items()
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
    for role in profile.roles:
        await context.write.call(
            iam_target(target),
            "iam",
            "remove_role_from_instance_profile",
            InstanceProfileName=profile.name,
            RoleName=role,
        )
    await context.write.call(
        iam_target(target), "iam", "delete_instance_profile", InstanceProfileName=profile.name
    )


async def _in_a_profile(aws: AwsReads, target: Target, role: str) -> bool:
    return any(
        [
            profile
            async for page in aws.paginate(
                iam_target(target), "iam", "list_instance_profiles_for_role", RoleName=role
            )
            for profile in page.get("InstanceProfiles", [])
        ]
    )
