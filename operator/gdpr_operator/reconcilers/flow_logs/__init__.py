"""VPC flow logs enforced (spec.flowLogs): two components, as IAM is global.

`FlowLogsRole` (account-wide: iam.flow_logs_role) keeps the delivery role; `FlowLogs` (per
region: vpc.flow_logs_group, vpc.flow_logs_delivery) keeps the flow log group and a flow log
on every VPC in scope. The region's VPCs and flow logs are read once per pass
(`reconcilers._vpcs`), for these and for the observe-only audit check vpc.flow_logs.
"""

from gdpr_operator.reconcilers.flow_logs._checks import ROLE_NAME
from gdpr_operator.reconcilers.flow_logs._diff import group_name
from gdpr_operator.reconcilers.flow_logs._reconciler import FlowLogs, FlowLogsRole
from gdpr_operator.reconcilers.flow_logs._role import policy_name

__all__ = [
    "ROLE_NAME",
    "FlowLogs",
    "FlowLogsRole",
    "group_name",
    "policy_name",
]
