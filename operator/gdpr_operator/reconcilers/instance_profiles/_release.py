"""deletionPolicy Delete: take back the agent's profile and role, if this owner created them.

- The profile (created by this owner, known by its tags) is detached from the selected
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

from gdpr_operator.aws import Aws, Target
from gdpr_operator.model import InstancesSpec
from gdpr_operator.reconcilers._base import Context
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


async def release_agent(context: Context, target: Target) -> list[str]:
    """Remove this owner's profile and role when nothing else holds them; what was removed."""
    wanted = instances_spec(context.spec)
    profile = await read_profile(context.aws, target, wanted.role_name)
    released: list[str] = []
    if profile is not None and created_by(profile.tags, context.owner):
        regions = await context.aws.regions(target.access, context.spec.regions)
        outcomes = await asyncio.gather(
            *(
                _release_region(context.aws, Target(target.access, region), wanted, profile)
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
            return released
        await _delete_profile(context.aws, target, profile)
        released.append(f"instance profile {profile.name} in {target.account}")
    role = await read_role(context.aws, target, wanted.role_name)
    if role is not None and created_by(role.tags, context.owner):
        if await _in_a_profile(context.aws, target, role.name):
            logger.warning(
                "kept role %s in %s: an instance profile holds it", role.name, target.account
            )
            return released
        for arn in sorted(role.policies):
            await context.aws.call(
                iam_target(target), "iam", "detach_role_policy", RoleName=role.name, PolicyArn=arn
            )
        await context.aws.call(iam_target(target), "iam", "delete_role", RoleName=role.name)
        released.append(f"role {role.name} in {target.account}")
    return released


async def _release_region(
    aws: Aws, target: Target, wanted: InstancesSpec, profile: Profile
) -> tuple[int, int]:
    """Detach the profile from the region's selected instances: (how many were detached,
    how many other instances still hold it)."""
    held = {
        instance_id: association
        for instance_id, association in (await current_associations(aws, target)).items()
        if association.profile_arn == profile.arn and association.state != "disassociating"
    }
    if not held:
        return 0, 0
    selected = {
        instance.id for instance in await describe_selected(aws, target, wanted.selector_tags)
    }
    mine = [association for instance_id, association in held.items() if instance_id in selected]
    await asyncio.gather(
        *(
            aws.call(
                target, "ec2", "disassociate_iam_instance_profile", AssociationId=association.id
            )
            for association in mine
        )
    )
    return len(mine), len(held) - len(mine)


async def _delete_profile(aws: Aws, target: Target, profile: Profile) -> None:
    for role in profile.roles:
        await aws.call(
            iam_target(target),
            "iam",
            "remove_role_from_instance_profile",
            InstanceProfileName=profile.name,
            RoleName=role,
        )
    await aws.call(
        iam_target(target), "iam", "delete_instance_profile", InstanceProfileName=profile.name
    )


async def _in_a_profile(aws: Aws, target: Target, role: str) -> bool:
    return any(
        [
            profile
            async for page in aws.paginate(
                iam_target(target), "iam", "list_instance_profiles_for_role", RoleName=role
            )
            for profile in page.get("InstanceProfiles", [])
        ]
    )
