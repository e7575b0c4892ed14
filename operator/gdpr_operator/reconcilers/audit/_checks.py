"""The observe-only audit checks, with the GDPR articles they serve and the IAM actions they call.

All four are evidence that activity is recorded (Art. 5(2) accountability, Art. 30 records,
Art. 32(1)(d) testing the measures, Art. 33 breach investigation); the operator never
repairs them, so each declares read actions only.
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
