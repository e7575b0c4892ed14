"""The instance-profile checks, with the GDPR articles they serve and the IAM actions they call.

Article 32(1)(b)/(d): the agent's role is what lets instances ship their logs and be managed
(and so monitored); 30 and 33: those logs are the record and the evidence of a breach.
"""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Condition, Grant
from gdpr_operator.reconcilers._tags import IAM_PATH, TAGGED_AS_OWN, TAGGED_ON_CREATE
from gdpr_operator.reconcilers.instance_profiles._policy import AGENT_POLICY_ARNS

_ROLE_READ = frozenset({"iam:GetRole", "iam:ListAttachedRolePolicies"})
_PROFILE_READ = frozenset({"iam:GetInstanceProfile"})
_INSTANCES_READ = frozenset({"ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations"})
# Putting a role in a profile, or a profile on an instance, hands the role on: iam:PassRole.
_PASS_ROLE = frozenset({"iam:PassRole"})

AGENT_ROLE = CheckInfo(
    id="iam.agent_role",
    summary="The agent's role exists, trusts EC2 and carries CloudWatchAgentServerPolicy, "
    "AmazonSSMManagedInstanceCore and the spec's additional policies.",
    articles=("30", "32(1)(b)", "32(1)(d)", "33"),
    scope=Scope.ACCOUNT,
    # CreateRole with tags needs TagRole; the operator deletes only a role it created.
    iam_actions=_ROLE_READ
    | {
        "iam:CreateRole",
        "iam:TagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachRolePolicy",
        "iam:ListInstanceProfilesForRole",
        "iam:DetachRolePolicy",
        "iam:DeleteRole",
    },
)
INSTANCE_PROFILE = CheckInfo(
    id="iam.instance_profile",
    summary="An instance profile named after the role exists and holds the role.",
    articles=("32(1)(b)", "32(1)(d)"),
    scope=Scope.ACCOUNT,
    iam_actions=_PROFILE_READ
    | _PASS_ROLE
    | {
        "iam:CreateInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:DeleteInstanceProfile",
    },
)
PROFILE_ATTACHED = CheckInfo(
    id="ec2.instance_profile_attached",
    summary="A selected instance has an instance profile attached.",
    articles=("32(1)(b)", "32(1)(d)"),
    scope=Scope.INSTANCE,
    # The operator's release disassociates its profile from the selected instances.
    iam_actions=_INSTANCES_READ
    | _PROFILE_READ
    | _PASS_ROLE
    | {
        "ec2:AssociateIamInstanceProfile",
        "ec2:ReplaceIamInstanceProfileAssociation",
        "ec2:DisassociateIamInstanceProfile",
    },
)
AGENT_PERMISSIONS = CheckInfo(
    id="ec2.instance_agent_permissions",
    summary="A selected instance's role carries CloudWatchAgentServerPolicy and "
    "AmazonSSMManagedInstanceCore.",
    articles=("30", "32(1)(b)", "32(1)(d)"),
    scope=Scope.INSTANCE,
    iam_actions=_INSTANCES_READ
    | _PROFILE_READ
    | {"iam:ListAttachedRolePolicies", "iam:AttachRolePolicy"},
)
SSM_MANAGED = CheckInfo(
    id="ssm.managed_instance",
    summary="Systems Manager sees a selected instance online (observe only).",
    articles=("32(1)(b)", "32(1)(d)"),
    scope=Scope.INSTANCE,
    iam_actions=frozenset({"ssm:DescribeInstanceInformation"}),
)

ACCOUNT_CHECKS = (AGENT_ROLE, INSTANCE_PROFILE)
INSTANCE_CHECKS = (PROFILE_ATTACHED, AGENT_PERMISSIONS, SSM_MANAGED)
RELEASE_ACTIONS = frozenset(
    {
        "ec2:DescribeInstances",
        "ec2:DescribeIamInstanceProfileAssociations",
        "ec2:DisassociateIamInstanceProfile",
    }
)
"""Calls of the account component's release beyond its checks' (it works in the pass's
regions, which the engine resolves)."""

# What the writes above may touch (scripts/generate-iam-policy renders one statement each):
# the operator's own roles and profiles, under its IAM path and tagged, and on other roles
# only the agent's two policies.
OWN_ROLES = f"arn:aws:iam::*:role{IAM_PATH}*"
OWN_PROFILES = f"arn:aws:iam::*:instance-profile{IAM_PATH}*"
AGENT_POLICIES_ONLY: Condition = {"ArnEquals": {"iam:PolicyARN": AGENT_POLICY_ARNS}}

CREATE_ROLES = Grant(
    sid="CreateOwnAgentRoles",
    actions=frozenset({"iam:CreateRole", "iam:TagRole"}),
    resources=(OWN_ROLES,),
    condition=TAGGED_ON_CREATE,
    why="the agent's role, created under the operator's path with its tags (and only those)",
)
CHANGE_ROLES = Grant(
    sid="ChangeOwnAgentRoles",
    actions=frozenset({"iam:UpdateAssumeRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole"}),
    resources=(OWN_ROLES,),
    condition=TAGGED_AS_OWN,
    why="its trust kept EC2's; on deletionPolicy Delete, its policies detached and it deleted",
)
ATTACH_TO_OWN_ROLES = Grant(
    sid="AttachPoliciesToOwnAgentRoles",
    actions=frozenset({"iam:AttachRolePolicy"}),
    resources=(OWN_ROLES,),
    condition={**TAGGED_AS_OWN, **AGENT_POLICIES_ONLY},
    why="the agent's two managed policies on its own role; an administrator who permits "
    "additionalPolicyArns on an AwsAccount adds them to this iam:PolicyARN condition",
)
ATTACH_TO_INSTANCE_ROLES = Grant(
    sid="AgentPoliciesOnInstanceRoles",
    actions=frozenset({"iam:AttachRolePolicy"}),
    resources=("arn:aws:iam::*:role/*",),
    condition=AGENT_POLICIES_ONLY,
    why="whenOtherProfileAttached: AttachPolicies, where an AwsAccount permits it "
    "(attachAgentPoliciesToInstanceRoles): the agent's two policies, and no other, on the "
    "role of an instance's existing profile; drop it when no AwsAccount permits that",
)
PASS_ROLES = Grant(
    sid="PassOwnAgentRolesToEc2",
    actions=frozenset({"iam:PassRole"}),
    resources=(OWN_ROLES,),
    condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    why="putting its role in its profile, and its profile on instances, passes the role to EC2",
)
CREATE_PROFILES = Grant(
    sid="CreateOwnInstanceProfiles",
    actions=frozenset({"iam:CreateInstanceProfile", "iam:TagInstanceProfile"}),
    resources=(OWN_PROFILES,),
    condition=TAGGED_ON_CREATE,
    why="the agent's instance profile, created under the operator's path with its tags",
)
CHANGE_PROFILES = Grant(
    sid="ChangeOwnInstanceProfiles",
    actions=frozenset(
        {
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteInstanceProfile",
        }
    ),
    resources=(OWN_PROFILES,),
    condition=TAGGED_AS_OWN,
    why="its profile holding its role; deleted on deletionPolicy Delete",
)
ATTACH_PROFILES = Grant(
    sid="AttachOwnInstanceProfiles",
    actions=frozenset(
        {"ec2:AssociateIamInstanceProfile", "ec2:ReplaceIamInstanceProfileAssociation"}
    ),
    resources=("arn:aws:ec2:*:*:instance/*",),
    condition={"ArnLike": {"ec2:NewInstanceProfile": OWN_PROFILES}},
    why="its own profile onto the instances a spec selects by tag (tags are the tenants', so "
    "instances cannot be narrowed further)",
)
DETACH_PROFILES = Grant(
    sid="DetachOwnInstanceProfiles",
    actions=frozenset({"ec2:DisassociateIamInstanceProfile"}),
    resources=("arn:aws:ec2:*:*:instance/*",),
    condition={"ArnLike": {"ec2:InstanceProfile": OWN_PROFILES}},
    why="on deletionPolicy Delete, its own profile off the selected instances",
)
ACCOUNT_GRANTS = (
    CREATE_ROLES,
    CHANGE_ROLES,
    ATTACH_TO_OWN_ROLES,
    CREATE_PROFILES,
    CHANGE_PROFILES,
    PASS_ROLES,
    DETACH_PROFILES,
)
INSTANCE_GRANTS = (ATTACH_PROFILES, ATTACH_TO_INSTANCE_ROLES, PASS_ROLES)
