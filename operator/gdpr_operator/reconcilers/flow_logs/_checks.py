"""The flow log checks, with the GDPR articles they serve, the IAM actions they call and how
narrowly AWS should allow their writes.

Article 32(1)(d) and 33: a VPC's flow logs are the record of who talked to what, needed to
test the measures and to investigate a breach; 5(1)(e) and 32(1)(a): the group that keeps
them does so for the spec's retention, encrypted as asked.
"""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._service_roles import service_role_grants
from gdpr_operator.reconcilers._tags import TAGGED_AS_OWN, TAGGED_ON_CREATE
from gdpr_operator.reconcilers.log_groups import GROUP_ACTIONS, GROUP_GRANTS

ROLE_NAME = "gdpr-operator-flow-logs"
"""The delivery role, one per account, under the operator's IAM path."""
DELIVERY_SERVICE = "vpc-flow-logs.amazonaws.com"

_ROLE_READ = frozenset({"iam:GetRole", "iam:GetRolePolicy"})

DELIVERY_ROLE = CheckInfo(
    id="iam.flow_logs_role",
    summary="The flow logs' delivery role exists under the operator's path, trusts VPC Flow "
    "Logs for this account only and may write to the spec's flow log group, nothing else.",
    articles=("32(1)(d)", "33"),
    scope=Scope.ACCOUNT,
    # CreateRole with tags needs TagRole; release lists its policies to delete them first.
    iam_actions=_ROLE_READ
    | {
        "iam:CreateRole",
        "iam:TagRole",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:ListRolePolicies",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    },
)
FLOW_LOG_GROUP = CheckInfo(
    id="vpc.flow_logs_group",
    summary="The log group <logs.groupPrefix>/vpc-flow-logs exists and keeps events as many "
    "days as the spec says, encrypted with its KMS key when one is set.",
    articles=("5(1)(e)", "32(1)(a)", "33"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=GROUP_ACTIONS,
)
DELIVERY = CheckInfo(
    id="vpc.flow_logs_delivery",
    summary="Each VPC in scope has an active flow log of the VPC that delivers: the "
    "operator's, to the flow log group through its role, or a working one of someone else's.",
    articles=("32(1)(d)", "33"),
    scope=Scope.VPC,
    # CreateFlowLogs with tags needs CreateTags; it passes the delivery role.
    iam_actions=_ROLE_READ
    | {
        "ec2:DescribeVpcs",
        "ec2:DescribeFlowLogs",
        "ec2:CreateFlowLogs",
        "ec2:CreateTags",
        "ec2:DeleteFlowLogs",
        "iam:PassRole",
    },
)
ROLE_CHECKS = (DELIVERY_ROLE,)
CHECKS = (FLOW_LOG_GROUP, DELIVERY)

FLOW_LOGS = "arn:aws:ec2:*:*:vpc-flow-log/*"

_ROLE = service_role_grants(
    "FlowLogsRole", ROLE_NAME, DELIVERY_SERVICE, "the flow logs' delivery role"
)
ROLE_GRANTS = (_ROLE.create, _ROLE.change)
GRANTS = (
    *GROUP_GRANTS,
    _ROLE.passing,
    Grant(
        sid="CreateTaggedFlowLogs",
        actions=frozenset({"ec2:CreateFlowLogs"}),
        resources=(FLOW_LOGS, "arn:aws:ec2:*:*:vpc/*"),
        condition=TAGGED_ON_CREATE,
        why="a flow log of a VPC in scope, created with the operator's tags (VPCs are the "
        "tenants' to select by tag, so they cannot be narrowed further)",
    ),
    Grant(
        sid="TagFlowLogsOnCreate",
        actions=frozenset({"ec2:CreateTags"}),
        resources=(FLOW_LOGS,),
        condition={
            **TAGGED_ON_CREATE,
            "StringEquals": {
                **TAGGED_ON_CREATE["StringEquals"],
                "ec2:CreateAction": "CreateFlowLogs",
            },
        },
        why="the tags of CreateFlowLogs, and no tagging of anything else",
    ),
    Grant(
        sid="DeleteOwnFlowLogs",
        actions=frozenset({"ec2:DeleteFlowLogs"}),
        resources=(FLOW_LOGS,),
        condition=TAGGED_AS_OWN,
        why="its own flow logs only: replaced when not as declared, deleted on deletionPolicy "
        "Delete",
    ),
)
