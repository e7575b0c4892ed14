"""Every component reconciler, in the order their results are reported."""

from collections.abc import Sequence

from gdpr_operator.model import CheckInfo
from gdpr_operator.reconcilers._base import Reconciler
from gdpr_operator.reconcilers.audit import (
    CloudFrontWaf,
    CloudTrail,
    ConfigRecorder,
    ConfigRules,
    S3AccessLogging,
    S3ObjectLevelLogging,
    TrustedAdvisorSecurity,
    VpcFlowLogs,
    WafLogging,
)
from gdpr_operator.reconcilers.cloudwatch_agent import CloudWatchAgent
from gdpr_operator.reconcilers.drift_events import DriftEvents
from gdpr_operator.reconcilers.flow_logs import FlowLogs, FlowLogsRole
from gdpr_operator.reconcilers.guardduty import GuardDuty
from gdpr_operator.reconcilers.instance_profiles import AgentRole, InstanceProfiles
from gdpr_operator.reconcilers.log_groups import LogGroups

RECONCILERS: Sequence[Reconciler] = (
    GuardDuty(),
    AgentRole(),
    InstanceProfiles(),
    CloudWatchAgent(),
    LogGroups(),
    # VPC flow logs, where the spec asks for them: the delivery role, the group, the logs.
    FlowLogsRole(),
    FlowLogs(),
    # Observe-only audit checks: they report and never change anything.
    CloudTrail(),
    ConfigRecorder(),
    VpcFlowLogs(),
    S3AccessLogging(),
    CloudFrontWaf(),
    WafLogging(),
    S3ObjectLevelLogging(),
    ConfigRules(),
    TrustedAdvisorSecurity(),
    # What brings the AWS change events to the operator (AwsAccount events.mode Managed).
    DriftEvents(),
)
"""Every component, in the order their results are reported."""


def all_checks() -> list[CheckInfo]:
    """The check catalog: every check of every reconciler."""
    return [check for reconciler in RECONCILERS for check in reconciler.checks]
