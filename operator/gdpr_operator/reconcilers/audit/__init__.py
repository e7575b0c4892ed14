"""Observe-only audit checks: cloudtrail.multi_region, config.recorder, vpc.flow_logs,
s3.access_logging, cloudfront.waf_attached, waf.logging, s3.object_level_logging,
config.rules_compliance and trustedadvisor.security, one component each, read calls only,
never repaired (action `none`).

Each check is one module named after it (`_cloudtrail_multi_region.py`, ...): its CheckInfo
with the GDPR articles it serves and the read actions it calls, its pure rules, and its
component in the frame of `_component.py`. Most are evidence that activity is recorded
(Art. 5(2) accountability, Art. 30 records, Art. 32(1)(d) testing the measures, Art. 33
breach investigation); a WAF in front of a distribution is a measure itself (Art. 25 by
design, Art. 32(1)(b) integrity and confidentiality); Config rules and Trusted Advisor are
the account's own evaluations of its measures (Art. 24 responsibility, Art. 32(1)(d)).
"""

from gdpr_operator.reconcilers.audit._cloudfront_waf_attached import CloudFrontWaf
from gdpr_operator.reconcilers.audit._cloudtrail_multi_region import CloudTrail
from gdpr_operator.reconcilers.audit._config_recorder import ConfigRecorder
from gdpr_operator.reconcilers.audit._config_rules_compliance import ConfigRules
from gdpr_operator.reconcilers.audit._s3_access_logging import S3AccessLogging
from gdpr_operator.reconcilers.audit._s3_object_level_logging import S3ObjectLevelLogging
from gdpr_operator.reconcilers.audit._trustedadvisor_security import TrustedAdvisorSecurity
from gdpr_operator.reconcilers.audit._vpc_flow_logs import VpcFlowLogs
from gdpr_operator.reconcilers.audit._waf_logging import WafLogging

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
