"""The CloudWatch agent checks, with the GDPR articles they serve and the IAM actions they call."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._tags import TAGGED_AS_OWN, TAGGED_ON_CREATE
from gdpr_operator.reconcilers.cloudwatch_agent._resources import (
    CONFIGURE_DOCUMENT,
    INSTALL_DOCUMENT,
    PARAMETER_PREFIX,
)

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
    # Creating a tagged parameter (and a tagged association) needs ssm:AddTagsToResource;
    # changing an existing one needs its tags first (ListTagsForResource): it must be ours.
    iam_actions=_ASSOCIATIONS
    | {
        "ssm:GetParameters",
        "ssm:PutParameter",
        "ssm:AddTagsToResource",
        "ssm:ListTagsForResource",
    },
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
        "ssm:DescribeParameters",
        "ssm:ListTagsForResource",
        "ssm:DeleteParameter",
        "ssm:ListAssociations",
        "ssm:DeleteAssociation",
    }
)
"""Not a check: deletionPolicy Delete removes the parameters and associations (found by their
tags: parameters listed by tag, associations by name and then their tags read)."""

PARAMETERS = f"arn:aws:ssm:*:*:parameter/{PARAMETER_PREFIX}gdpr_*"
ASSOCIATIONS = "arn:aws:ssm:*:*:association/*"
AGENT_DOCUMENTS = (
    f"arn:aws:ssm:*:*:document/{INSTALL_DOCUMENT}",
    f"arn:aws:ssm:*:*:document/{CONFIGURE_DOCUMENT}",
)
INSTANCES = "arn:aws:ec2:*:*:instance/*"
GRANTS = (
    Grant(
        sid="CreateOwnAgentParameters",
        actions=frozenset({"ssm:PutParameter", "ssm:AddTagsToResource"}),
        resources=(PARAMETERS,),
        condition=TAGGED_ON_CREATE,
        why="the agent's configuration parameters (names the operator chooses), created tagged",
    ),
    Grant(
        sid="ChangeOwnAgentParameters",
        actions=frozenset({"ssm:PutParameter", "ssm:DeleteParameter"}),
        resources=(PARAMETERS,),
        condition=TAGGED_AS_OWN,
        why="a new version of its own parameter; deleted on deletionPolicy Delete",
    ),
    Grant(
        sid="CreateOwnAgentAssociations",
        actions=frozenset({"ssm:CreateAssociation", "ssm:AddTagsToResource"}),
        resources=(ASSOCIATIONS, *AGENT_DOCUMENTS, INSTANCES),
        condition=TAGGED_ON_CREATE,
        why="State Manager associations that install and configure the agent, created tagged: "
        "AWS's two agent documents only, on the instances a spec selects by tag",
    ),
    Grant(
        sid="ChangeOwnAgentAssociations",
        actions=frozenset({"ssm:UpdateAssociation", "ssm:DeleteAssociation"}),
        resources=(ASSOCIATIONS,),
        condition=TAGGED_AS_OWN,
        why="its own associations kept current; deleted on deletionPolicy Delete",
    ),
    Grant(
        sid="AgentAssociationsDocumentsAndTargets",
        actions=frozenset({"ssm:UpdateAssociation"}),
        resources=(*AGENT_DOCUMENTS, INSTANCES),
        why="an update names the association's document and target instances, which AWS "
        "authorizes too (they carry no tag of the operator's): AWS's two agent documents "
        "only; the association itself must still be its own (ChangeOwnAgentAssociations)",
    ),
    Grant(
        sid="ReadOwnAgentParameters",
        actions=frozenset({"ssm:GetParameters"}),
        resources=(PARAMETERS,),
        why="the only parameters it reads are its own: no other (SecureString) value",
    ),
)
