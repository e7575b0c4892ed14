"""The instance profiles' reads: the agent's role and profile (IAM), the selected instances'
profiles and associations (EC2), and which of them Systems Manager sees online.

IAM is global: its calls go to the account's GLOBAL_REGION target whatever region asks, and
a pass reads each profile and each role's policies once (the PROFILES and ATTACHED_POLICIES
pass reads). The account component, which runs before the regional ones, hands on what it
read when it changed nothing, so that a converged pass reads each of them once in all.
EC2 and SSM: one paginated call sequence per region each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from gdpr_operator.aws import NotFoundError, Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context, PassRead
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.instance_profiles._instance_diff import (
    HeldProfile,
    ProfileAssociation,
    ProfiledInstance,
)
from gdpr_operator.reconcilers.instance_profiles._role_diff import Profile, Role

ASSOCIATIONS_PAGE = 1000
INSTANCE_INFORMATION_PAGE = 50
"""Each API's largest page."""
CURRENT_ASSOCIATION_STATES = ("associating", "associated", "disassociating")

PROFILES = PassRead[tuple[str, str], Profile | None]("iam.instance_profile")
"""An instance profile by (account id, name), as the pass first read it."""
ATTACHED_POLICIES = PassRead[tuple[str, str], frozenset[str]]("iam.attached_role_policies")
"""The managed policies attached to a role, by (account id, role name)."""


async def role(aws: AwsReads, target: Target, name: str) -> Role | None:
    """The role of that name, read now; None when there is none."""
    try:
        found = (await aws.call(iam_target(target), "iam", "get_role", RoleName=name))["Role"]
    except NotFoundError:
        return None
    return Role(
        name=name,
        trust=found.get("AssumeRolePolicyDocument", {}),
        policies=await attached_policies(aws, target, name),
        tags=tag_map(found.get("Tags", [])),
        path=found.get("Path", "/"),
    )


async def attached_policies(aws: AwsReads, target: Target, role: str) -> frozenset[str]:
    """The role's managed policy ARNs; empty when the role does not exist."""
    try:
        return frozenset(
            [
                policy["PolicyArn"]
                async for page in aws.paginate(
                    iam_target(target), "iam", "list_attached_role_policies", RoleName=role
                )
                for policy in page.get("AttachedPolicies", [])
            ]
        )
    except NotFoundError:
        return frozenset()


async def profile(aws: AwsReads, target: Target, name: str) -> Profile | None:
    """The instance profile of that name, read now; None when there is none."""
    try:
        reply = await aws.call(
            iam_target(target), "iam", "get_instance_profile", InstanceProfileName=name
        )
    except NotFoundError:
        return None
    found = reply["InstanceProfile"]
    return Profile(
        name=name,
        arn=found["Arn"],
        roles=tuple(held["RoleName"] for held in found.get("Roles", [])),
        tags=tag_map(found.get("Tags", [])),
        path=found.get("Path", "/"),
    )


async def shared_profile(context: Context, target: Target, name: str) -> Profile | None:
    """The instance profile as the pass first read it."""
    return await context.reads.once(
        PROFILES, (target.account_id, name), lambda: profile(context.aws, target, name)
    )


async def shared_policies(context: Context, target: Target, role: str) -> frozenset[str]:
    """The role's managed policies as the pass first read them."""
    return await context.reads.once(
        ATTACHED_POLICIES,
        (target.account_id, role),
        lambda: attached_policies(context.aws, target, role),
    )


def share_unchanged(
    context: Context, target: Target, role: Role | None, profile: Profile | None
) -> None:
    """Let the regional components use what the account component read, unchanged since."""
    if profile is not None:
        context.reads.known(PROFILES, (target.account_id, profile.name), profile)
    if role is not None:
        context.reads.known(ATTACHED_POLICIES, (target.account_id, role.name), role.policies)


async def role_in_a_profile(aws: AwsReads, target: Target, role: str) -> bool:
    """Whether some instance profile holds the role."""
    return any(
        [
            held
            async for page in aws.paginate(
                iam_target(target), "iam", "list_instance_profiles_for_role", RoleName=role
            )
            for held in page.get("InstanceProfiles", [])
        ]
    )


async def current_associations(aws: AwsReads, target: Target) -> dict[str, ProfileAssociation]:
    """Instance id -> its profile association (pending ones included) in the region."""
    return {
        item["InstanceId"]: ProfileAssociation(
            item["AssociationId"],
            item.get("IamInstanceProfile", {}).get("Arn", ""),
            item.get("State", ""),
        )
        async for page in aws.paginate(
            target,
            "ec2",
            "describe_iam_instance_profile_associations",
            Filters=[{"Name": "state", "Values": list(CURRENT_ASSOCIATION_STATES)}],
            PaginationConfig={"PageSize": ASSOCIATIONS_PAGE},
        )
        for item in page.get("IamInstanceProfileAssociations", [])
    }


async def online_in_ssm(aws: AwsReads, target: Target, tags: Mapping[str, str]) -> frozenset[str]:
    """Ids of the selected instances Systems Manager sees online: one filtered listing."""
    filters = [{"Key": f"tag:{key}", "Values": [value]} for key, value in tags.items()]
    filters.append({"Key": "PingStatus", "Values": ["Online"]})
    return frozenset(
        {
            item["InstanceId"]
            async for page in aws.paginate(
                target,
                "ssm",
                "describe_instance_information",
                Filters=filters,
                PaginationConfig={"PageSize": INSTANCE_INFORMATION_PAGE},
            )
            for item in page.get("InstanceInformationList", [])
        }
    )


async def profiled_instances(
    context: Context,
    target: Target,
    found: Mapping[str, str | None],
    associations: Mapping[str, ProfileAssociation] | None = None,
) -> list[ProfiledInstance]:
    """The instances (id -> the profile ARN DescribeInstances shows) with the profiles they
    hold: as DescribeInstances shows them, or, once associations are read, as those say
    (pending ones included)."""
    known = associations or {}
    if associations is not None:
        found = {
            instance_id: known[instance_id].profile_arn if instance_id in known else None
            for instance_id in found
        }
    names = sorted({_profile_name(arn) for arn in found.values() if arn})
    held = dict(
        zip(
            names,
            await asyncio.gather(*(_held(context, target, name) for name in names)),
            strict=True,
        )
    )
    return [
        ProfiledInstance(
            instance_id, held[_profile_name(arn)] if arn else None, known.get(instance_id)
        )
        for instance_id, arn in found.items()
    ]


async def _held(context: Context, target: Target, name: str) -> HeldProfile:
    found = await shared_profile(context, target, name)
    role = found.roles[0] if found and found.roles else None  # a profile holds one role
    policies = await shared_policies(context, target, role) if role else frozenset[str]()
    return HeldProfile(name, role, policies)


def _profile_name(arn: str) -> str:
    """arn:aws:iam::123456789012:instance-profile/path/name -> name (unique in the account)."""
    return arn.rsplit("/", 1)[-1]
