"""VPC flow logs enforced (spec.flowLogs): two components, as IAM is global.

`FlowLogsRole` (account-wide: iam.flow_logs_role) keeps the delivery role; `FlowLogs` (per
region: vpc.flow_logs_group, vpc.flow_logs_delivery) keeps the flow log group and a flow log
on every VPC in scope. The observe-only audit check vpc.flow_logs reads flow logs as
`FlowLog` does.
"""

from gdpr_operator.reconcilers.flow_logs._checks import ROLE_NAME
from gdpr_operator.reconcilers.flow_logs._diff import group_name, policy_name
from gdpr_operator.reconcilers.flow_logs._flow_log import FlowLog, flow_log_problem
from gdpr_operator.reconcilers.flow_logs._reconciler import FlowLogs
from gdpr_operator.reconcilers.flow_logs._role import FlowLogsRole

__all__ = [
    "ROLE_NAME",
    "FlowLog",
    "FlowLogs",
    "FlowLogsRole",
    "flow_log_problem",
    "group_name",
    "policy_name",
]
