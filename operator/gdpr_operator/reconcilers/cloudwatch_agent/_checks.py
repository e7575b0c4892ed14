"""The CloudWatch agent checks, with the GDPR articles they serve and the IAM actions they call."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope

INSTANCE_READS = frozenset({"ec2:DescribeInstances"})
"""Which instances the spec selects (shared with the log groups' ingestion check)."""

_ASSOCIATIONS = frozenset(
    {
        "ssm:ListAssociations",
        "ssm:DescribeAssociation",
        "ssm:CreateAssociation",
        "ssm:UpdateAssociation",
    }
)

CONFIG = CheckInfo(
    id="cwagent.config",
    summary="The SSM parameter holds the rendered agent configuration for the platform, and "
    "State Manager associations install the agent and apply that configuration.",
    articles=("30", "32(1)(b)", "32(1)(d)"),
    scope=Scope.PLATFORM,
    # Creating a tagged parameter (and a tagged association) needs ssm:AddTagsToResource.
    iam_actions=_ASSOCIATIONS | {"ssm:GetParameters", "ssm:PutParameter", "ssm:AddTagsToResource"},
)
INSTALLED = CheckInfo(
    id="cwagent.installed",
    summary="The agent is installed on the instance and runs the current configuration.",
    articles=("30", "32(1)(b)", "32(1)(d)", "33"),
    scope=Scope.INSTANCE,
    iam_actions=INSTANCE_READS
    | _ASSOCIATIONS
    | {
        "ssm:GetParameters",
        "ssm:DescribeAssociationExecutions",
        "ssm:DescribeAssociationExecutionTargets",
    },
)
CHECKS = (CONFIG, INSTALLED)

RELEASE_ACTIONS = frozenset(
    {
        "ssm:GetParameters",
        "ssm:ListTagsForResource",
        "ssm:DeleteParameter",
        "ssm:ListAssociations",
        "ssm:DeleteAssociation",
    }
)
"""Not a check: deletionPolicy Delete removes the parameters and associations."""
