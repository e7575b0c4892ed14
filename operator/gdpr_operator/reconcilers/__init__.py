"""Component reconcilers: each observes with read calls, diffs purely, and applies the diff."""

from gdpr_operator.reconcilers._access import (
    AwsReads,
    AwsWrites,
    WriteGuard,
    WriteOutsideWritePathError,
    WriteRefusedError,
)
from gdpr_operator.reconcilers._base import (
    ComponentReport,
    Context,
    Declaration,
    PassRead,
    PassReads,
    Reconciler,
)
from gdpr_operator.reconcilers._policy import (
    POLICY_PREFIX,
    declared_actions,
    grants,
    operator_policies,
    policy_group,
)
from gdpr_operator.reconcilers._registry import RECONCILERS, all_checks

__all__ = [
    "POLICY_PREFIX",
    "RECONCILERS",
    "AwsReads",
    "AwsWrites",
    "ComponentReport",
    "Context",
    "Declaration",
    "PassRead",
    "PassReads",
    "Reconciler",
    "WriteGuard",
    "WriteOutsideWritePathError",
    "WriteRefusedError",
    "all_checks",
    "declared_actions",
    "grants",
    "operator_policies",
    "policy_group",
]
