"""Observe-only audit checks: cloudtrail.multi_region, config.recorder, vpc.flow_logs and
s3.access_logging, one component each, read calls only, never repaired (action `none`)."""

from gdpr_operator.reconcilers.audit._reconcilers import (
    CloudTrail,
    ConfigRecorder,
    S3AccessLogging,
    VpcFlowLogs,
)

__all__ = ["CloudTrail", "ConfigRecorder", "S3AccessLogging", "VpcFlowLogs"]
