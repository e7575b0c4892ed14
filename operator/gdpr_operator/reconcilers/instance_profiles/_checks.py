"""The instance-profile checks, with the GDPR articles they serve and the IAM actions they call.

Article 32(1)(b)/(d): the agent's role is what lets instances ship their logs and be managed
(and so monitored); 30 and 33: those logs are the record and the evidence of a breach.
"""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope

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
