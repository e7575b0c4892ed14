"""CloudWatch Logs groups the agent writes to: checks logs.retention, logs.encryption and
logs.ingestion_fresh. What keeps a group at the spec's retention and KMS key (`repairs`, the
calls of `group_delta`) is shared with the other components that create groups under the
prefix (flow logs)."""

from gdpr_operator.reconcilers.log_groups._checks import GRANTS as GROUP_GRANTS
from gdpr_operator.reconcilers.log_groups._checks import GROUP_ACTIONS
from gdpr_operator.reconcilers.log_groups._diff import (
    LogGroup,
    encryption_problem,
    group_delta,
    repairs,
    retention_problem,
)
from gdpr_operator.reconcilers.log_groups._observe import read_log_groups
from gdpr_operator.reconcilers.log_groups._reconciler import LogGroups

__all__ = [
    "GROUP_ACTIONS",
    "GROUP_GRANTS",
    "LogGroup",
    "LogGroups",
    "encryption_problem",
    "group_delta",
    "read_log_groups",
    "repairs",
    "retention_problem",
]
