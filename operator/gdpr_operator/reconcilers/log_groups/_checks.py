"""The log group checks, with the GDPR articles they serve and the IAM actions they call."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._tags import TAGGED_ON_CREATE
from gdpr_operator.reconcilers.cloudwatch_agent._checks import INSTANCE_READS

# Creating a log group with tags needs logs:TagResource as well.
_CREATE = frozenset({"logs:DescribeLogGroups", "logs:CreateLogGroup", "logs:TagResource"})
GROUP_ACTIONS = _CREATE | {"logs:PutRetentionPolicy", "logs:AssociateKmsKey"}
"""What creating a group and keeping its retention and KMS key calls (`_diff.repairs`)."""

RETENTION = CheckInfo(
    id="logs.retention",
    summary="The log group keeps events exactly as many days as the spec says; never-expire "
    "is not compliant (storage limitation).",
    articles=("5(1)(e)", "30"),
    scope=Scope.LOG_GROUP,
    iam_actions=_CREATE | {"logs:PutRetentionPolicy"},
)
ENCRYPTION = CheckInfo(
    id="logs.encryption",
    summary="The log group is encrypted with the spec's KMS key (checked when one is set).",
    articles=("32(1)(a)",),
    scope=Scope.LOG_GROUP,
    iam_actions=_CREATE | {"logs:AssociateKmsKey"},
)
INGESTION_FRESH = CheckInfo(
    id="logs.ingestion_fresh",
    summary="An event from the instance arrived in the log group within the maximum age.",
    articles=("30", "32(1)(d)", "33"),
    scope=Scope.INSTANCE,
    iam_actions=INSTANCE_READS | {"logs:DescribeLogGroups", "logs:DescribeLogStreams"},
)
CHECKS = (RETENTION, ENCRYPTION, INGESTION_FRESH)

LOG_GROUPS = "arn:aws:logs:*:*:log-group:*"
GRANTS = (
    Grant(
        sid="CreateTaggedLogGroups",
        actions=frozenset({"logs:CreateLogGroup", "logs:TagResource"}),
        resources=(LOG_GROUPS,),
        condition=TAGGED_ON_CREATE,
        why="the agent's log groups, created ahead, and the flow logs' group, with the "
        "operator's tags",
    ),
    Grant(
        sid="LogGroupRetentionAndKey",
        actions=frozenset({"logs:PutRetentionPolicy", "logs:AssociateKmsKey"}),
        resources=(LOG_GROUPS,),
        why="retention (and KMS key) of the log groups the agent and the flow logs write to, "
        "under a spec's logs.groupPrefix; never deleted",
    ),
)
