"""Observe-only audit checks: cloudtrail.multi_region, config.recorder, vpc.flow_logs,
s3.access_logging, cloudfront.waf_attached, waf.logging, s3.object_level_logging,
config.rules_compliance and trustedadvisor.security, one component each, read calls only,
never repaired (action `none`)."""

from gdpr_operator.reconcilers.audit._reconcilers import (
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

__all__ = [
    "CloudFrontWaf",
    "CloudTrail",
    "ConfigRecorder",
    "ConfigRules",
    "S3AccessLogging",
    "S3ObjectLevelLogging",
    "TrustedAdvisorSecurity",
    "VpcFlowLogs",
    "WafLogging",
]
