"""IAM reads of roles and instance profiles, once per pass for every region and instance.

IAM is global: its calls go to the account's GLOBAL_REGION target whatever region asks, and
a pass reads each profile and each role's policies once (`Context.reads`). The account
component, which runs before the regional ones, hands on what it read when it changed
nothing, so that a converged pass reads each of them once in all.
"""

from __future__ import annotations

from gdpr_operator.aws import NotFoundError, Target
from gdpr_operator.model import GLOBAL_REGION
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context, PassRead
from gdpr_operator.reconcilers._tags import tag_map
from gdpr_operator.reconcilers.instance_profiles._diff import Profile, Role


def iam_target(target: Target) -> Target:
    return Target(target.access, GLOBAL_REGION)


async def read_role(aws: AwsReads, target: Target, name: str) -> Role | None:
    try:
        role = (await aws.call(iam_target(target), "iam", "get_role", RoleName=name))["Role"]
    except NotFoundError:
        return None
    return Role(
        name=name,
        trust=role.get("AssumeRolePolicyDocument", {}),
        policies=await read_attached_policies(aws, target, name),
        tags=tag_map(role.get("Tags", [])),
        path=role.get("Path", "/"),
    )


async def read_attached_policies(aws: AwsReads, target: Target, role: str) -> frozenset[str]:
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


async def read_profile(aws: AwsReads, target: Target, name: str) -> Profile | None:
    try:
        reply = await aws.call(
            iam_target(target), "iam", "get_instance_profile", InstanceProfileName=name
        )
    except NotFoundError:
        return None
    profile = reply["InstanceProfile"]
    return Profile(
        name=name,
        arn=profile["Arn"],
        roles=tuple(role["RoleName"] for role in profile.get("Roles", [])),
        tags=tag_map(profile.get("Tags", [])),
        path=profile.get("Path", "/"),
    )


PROFILES = PassRead[tuple[str, str], Profile | None]("iam.instance_profile")
"""An instance profile by (account id, name), as the pass first read it."""
ATTACHED_POLICIES = PassRead[tuple[str, str], frozenset[str]]("iam.attached_role_policies")
"""The managed policies attached to a role, by (account id, role name)."""


async def shared_profile(context: Context, target: Target, name: str) -> Profile | None:
    return await context.reads.once(
        PROFILES, (target.account_id, name), lambda: read_profile(context.aws, target, name)
    )


async def shared_policies(context: Context, target: Target, role: str) -> frozenset[str]:
    return await context.reads.once(
        ATTACHED_POLICIES,
        (target.account_id, role),
        lambda: read_attached_policies(context.aws, target, role),
    )


def share_unchanged(
    context: Context, target: Target, role: Role | None, profile: Profile | None
) -> None:
    """Let the regional components use what the account component read, unchanged since."""
    if profile is not None:
        context.reads.known(PROFILES, (target.account_id, profile.name), profile)
    if role is not None:
        context.reads.known(ATTACHED_POLICIES, (target.account_id, role.name), role.policies)


async def attach_once(context: Context, target: Target, role: str, policy_arn: str) -> None:
    """Attach a policy to a role once per pass, however many instances and regions need it."""
    await context.write.once(
        ("iam.attach_role_policy", target.account_id, role, policy_arn),
        iam_target(target),
        "iam",
        "attach_role_policy",
        RoleName=role,
        PolicyArn=policy_arn,
    )
