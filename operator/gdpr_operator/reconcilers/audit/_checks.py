"""The observe-only audit checks, with the GDPR articles they serve and the IAM actions they call.

Most are evidence that activity is recorded (Art. 5(2) accountability, Art. 30 records,
Art. 32(1)(d) testing the measures, Art. 33 breach investigation); a WAF in front of a
distribution is a measure itself (Art. 25 by design, Art. 32(1)(b) integrity and
confidentiality); Config rules and Trusted Advisor are the account's own evaluations of its
measures (Art. 24 responsibility, Art. 32(1)(d)). The operator never repairs them, so each
declares read actions only.
"""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope

CLOUDTRAIL_MULTI_REGION = CheckInfo(
    id="cloudtrail.multi_region",
    summary="A multi-Region CloudTrail trail is logging the account's read and write "
    "management events.",
    articles=("5(2)", "30", "32(1)(d)", "33"),
    scope=Scope.ACCOUNT,
    # DescribeRegions: the region to ask in, when the spec says every enabled region.
    iam_actions=frozenset(
        {
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
            "ec2:DescribeRegions",
        }
    ),
)
CONFIG_RECORDER = CheckInfo(
    id="config.recorder",
    summary="An AWS Config recorder in the region is recording every supported resource type.",
    articles=("5(2)", "30", "32(1)(d)"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=frozenset(
        {"config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"}
    ),
)
VPC_FLOW_LOGS = CheckInfo(
    id="vpc.flow_logs",
    summary="Each VPC of the region has an active flow log that delivers.",
    articles=("32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per VPC
    iam_actions=frozenset({"ec2:DescribeVpcs", "ec2:DescribeFlowLogs"}),
)
S3_ACCESS_LOGGING = CheckInfo(
    id="s3.access_logging",
    summary="Each bucket of the region has server access logging, unless it holds other "
    "buckets' access logs.",
    articles=("5(2)", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per bucket
    iam_actions=frozenset({"s3:ListAllMyBuckets", "s3:GetBucketLogging"}),
)
CLOUDFRONT_WAF_ATTACHED = CheckInfo(
    id="cloudfront.waf_attached",
    summary="Each CloudFront distribution of the account has a WAF web ACL filtering its HTTP "
    "requests.",
    articles=("25", "32(1)(b)"),
    scope=Scope.AUDIT,  # one result per distribution
    iam_actions=frozenset({"cloudfront:ListDistributions"}),
)
WAF_LOGGING = CheckInfo(
    id="waf.logging",
    summary="Each WAF web ACL protecting a CloudFront distribution logs its traffic, the "
    "destination named.",
    articles=("5(2)", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per web ACL
    iam_actions=frozenset({"cloudfront:ListDistributions", "wafv2:GetLoggingConfiguration"}),
)
S3_OBJECT_LEVEL_LOGGING = CheckInfo(
    id="s3.object_level_logging",
    summary="A logging CloudTrail trail records the read and write data events of each bucket "
    "of the region in scope (every bucket, or those carrying the spec's tags).",
    articles=("5(2)", "30", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per bucket
    # GetBucketTagging only when the spec selects buckets by tag.
    iam_actions=frozenset(
        {
            "s3:ListAllMyBuckets",
            "s3:GetBucketTagging",
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
        }
    ),
)
CONFIG_RULES_COMPLIANCE = CheckInfo(
    id="config.rules_compliance",
    summary="Each AWS Config rule of the region finds its resources compliant.",
    articles=("5(2)", "24", "32(1)(d)"),
    scope=Scope.AUDIT,  # one result per rule
    iam_actions=frozenset({"config:DescribeConfigRules", "config:DescribeComplianceByConfigRule"}),
)
TRUSTED_ADVISOR_SECURITY = CheckInfo(
    id="trustedadvisor.security",
    summary="Trusted Advisor's security checks flag nothing; without the Support plan its API "
    "requires, reported as not available.",
    articles=("24", "32(1)(d)"),
    scope=Scope.AUDIT,  # one result per Trusted Advisor check
    iam_actions=frozenset(
        {"support:DescribeTrustedAdvisorChecks", "support:DescribeTrustedAdvisorCheckSummaries"}
    ),
)
