"""The audit components: what each reads, in which region, before its pure rule judges.

Every call is a read; a failed one (AccessDenied included) propagates as the AwsError, which
the engine reports as the component's error for that target.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from gdpr_operator.aws import PermanentAwsError, Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers._vpcs import FlowLog
from gdpr_operator.reconcilers.audit import _data_events
from gdpr_operator.reconcilers.audit._buckets import bucket_verdicts
from gdpr_operator.reconcilers.audit._checks import (
    CLOUDFRONT_WAF_ATTACHED,
    CLOUDTRAIL_MULTI_REGION,
    CONFIG_RECORDER,
    CONFIG_RULES_COMPLIANCE,
    S3_ACCESS_LOGGING,
    S3_OBJECT_LEVEL_LOGGING,
    TRUSTED_ADVISOR_SECURITY,
    VPC_FLOW_LOGS,
    WAF_LOGGING,
)
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._config_rules import rule_verdicts
from gdpr_operator.reconcilers.audit._data_events import DataTrail
from gdpr_operator.reconcilers.audit._flow_logs import vpc_verdicts
from gdpr_operator.reconcilers.audit._recorders import Recorder, recorder_verdict
from gdpr_operator.reconcilers.audit._trails import Trail, trail_verdict
from gdpr_operator.reconcilers.audit._trusted_advisor import (
    NOT_AVAILABLE,
    SECURITY,
    SUBSCRIPTION_REQUIRED,
    security_verdicts,
)
from gdpr_operator.reconcilers.audit._web_acls import (
    Distribution,
    distribution_verdicts,
    is_waf_v2,
    logging_verdict,
    protecting_web_acls,
)

EDGE_REGION = "us-east-1"
"""Where CloudFront, the web ACLs in front of it (scope CLOUDFRONT) and the Support API
answer."""


class CloudTrail(AuditComponent):
    """Once per account (trails are the account's): DescribeTrails in the spec's first region
    lists every multi-Region trail, its shadow included; each is then read in its home
    Region, where its status and selectors are kept."""

    component = "CloudTrail"
    check = CLOUDTRAIL_MULTI_REGION
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        home = (await context.aws.regions(target.access, context.spec.regions))[0]
        listed = await context.aws.call(
            Target(target.access, home), "cloudtrail", "describe_trails", includeShadowTrails=True
        )
        described = listed.get("trailList", [])
        multi_region = [trail for trail in described if trail.get("IsMultiRegionTrail")]
        trails = await asyncio.gather(
            *(_read_trail(context.aws, target, trail) for trail in multi_region)
        )
        return [trail_verdict(trails, len(described) - len(multi_region))]


async def _read_trail(aws: AwsReads, target: Target, described: Mapping[str, Any]) -> Trail:
    arn = described["TrailARN"]
    home = Target(target.access, described["HomeRegion"])
    status, selectors = await asyncio.gather(
        aws.call(home, "cloudtrail", "get_trail_status", Name=arn),
        aws.call(home, "cloudtrail", "get_event_selectors", TrailName=arn),
    )
    return Trail.from_api(arn, status, selectors)


class ConfigRecorder(AuditComponent):
    """Per account and region: the region's recorders and their status."""

    component = "ConfigRecorder"
    check = CONFIG_RECORDER

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        recorders, statuses = await asyncio.gather(
            context.aws.call(target, "config", "describe_configuration_recorders"),
            context.aws.call(target, "config", "describe_configuration_recorder_status"),
        )
        status_by_name = {
            status["name"]: status for status in statuses.get("ConfigurationRecordersStatus", [])
        }
        return [
            recorder_verdict(
                [
                    Recorder.from_api(recorder, status_by_name.get(recorder["name"], {}))
                    for recorder in recorders.get("ConfigurationRecorders", [])
                ]
            )
        ]


class VpcFlowLogs(AuditComponent):
    """Per VPC: the region's VPCs and all its flow logs, two paginated reads."""

    component = "VpcFlowLogs"
    check = VPC_FLOW_LOGS

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        vpcs, flow_logs = await asyncio.gather(
            _all(context.aws, target, "ec2", "describe_vpcs", "Vpcs"),
            _all(context.aws, target, "ec2", "describe_flow_logs", "FlowLogs"),
        )
        return vpc_verdicts(
            (vpc["VpcId"] for vpc in vpcs), (FlowLog.from_api(item) for item in flow_logs)
        )


class S3AccessLogging(AuditComponent):
    """Per bucket, in the bucket's region: ListBuckets filtered to the target's region (sent
    there, as AWS requires), then GetBucketLogging for each. Buckets of regions the spec
    does not cover are not reported."""

    component = "S3AccessLogging"
    check = S3_ACCESS_LOGGING

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        buckets = await _region_buckets(context.aws, target)
        replies = await asyncio.gather(
            *(
                context.aws.call(target, "s3", "get_bucket_logging", Bucket=bucket)
                for bucket in buckets
            )
        )
        return bucket_verdicts(
            {
                bucket: reply.get("LoggingEnabled", {}).get("TargetBucket")
                for bucket, reply in zip(buckets, replies, strict=True)
            }
        )


class CloudFrontWaf(AuditComponent):
    """Once per account (distributions are global): ListDistributions, whose summaries name
    each distribution's web ACL."""

    component = "CloudFrontWaf"
    check = CLOUDFRONT_WAF_ATTACHED
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        return distribution_verdicts(await _distributions(context.aws, target))


class WafLogging(AuditComponent):
    """Once per account: the web ACLs in front of the distributions, each one's logging
    configuration read where CLOUDFRONT-scope web ACLs live (WAFNonexistentItemException:
    it has none)."""

    component = "WafLogging"
    check = WAF_LOGGING
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        protected = protecting_web_acls(await _distributions(context.aws, target))
        edge = Target(target.access, EDGE_REGION)

        async def verdict(web_acl: str, distributions: list[str]) -> Verdict:
            if not is_waf_v2(web_acl):
                return logging_verdict(web_acl, distributions, None)
            try:
                reply = await context.aws.call(
                    edge, "wafv2", "get_logging_configuration", ResourceArn=web_acl
                )
            except PermanentAwsError as error:
                if error.code != "WAFNonexistentItemException":
                    raise
                return logging_verdict(web_acl, distributions, None)
            configuration = reply.get("LoggingConfiguration", {})
            return logging_verdict(
                web_acl, distributions, configuration.get("LogDestinationConfigs")
            )

        return await asyncio.gather(*(verdict(acl, ids) for acl, ids in protected.items()))


async def _distributions(aws: AwsReads, target: Target) -> list[Distribution]:
    return [
        Distribution.from_api(summary)
        async for page in aws.paginate(
            Target(target.access, EDGE_REGION), "cloudfront", "list_distributions"
        )
        for summary in page.get("DistributionList", {}).get("Items") or []
    ]


class S3ObjectLevelLogging(AuditComponent):
    """Per bucket, in the bucket's region: the region's buckets (those carrying the spec's
    tags, read with GetBucketTagging, when it names some), and the trails covering the
    region (DescribeTrails there, shadows included), each read in its home Region."""

    component = "S3ObjectLevelLogging"
    check = S3_OBJECT_LEVEL_LOGGING

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        wanted = context.spec.object_level_logging_tags
        buckets, listed = await asyncio.gather(
            _region_buckets(context.aws, target),
            context.aws.call(target, "cloudtrail", "describe_trails", includeShadowTrails=True),
        )
        if wanted:
            tags = await asyncio.gather(
                *(_bucket_tags(context.aws, target, bucket) for bucket in buckets)
            )
            buckets = [
                bucket
                for bucket, carried in zip(buckets, tags, strict=True)
                if _data_events.selected(carried, wanted)
            ]
        trails = await asyncio.gather(
            *(_read_data_trail(context.aws, target, trail) for trail in listed.get("trailList", []))
        )
        return _data_events.bucket_verdicts(buckets, trails)


async def _region_buckets(aws: AwsReads, target: Target) -> list[str]:
    """The buckets of the target's region: ListBuckets filtered to it, sent there, as AWS
    requires."""
    return [
        bucket["Name"]
        for bucket in await _all(
            aws, target, "s3", "list_buckets", "Buckets", BucketRegion=target.region
        )
    ]


async def _bucket_tags(aws: AwsReads, target: Target, bucket: str) -> dict[str, str]:
    """A bucket's tags; S3 answers NoSuchTagSet for a bucket without any."""
    try:
        reply = await aws.call(target, "s3", "get_bucket_tagging", Bucket=bucket)
    except PermanentAwsError as error:
        if error.code != "NoSuchTagSet":
            raise
        return {}
    return tag_map(reply.get("TagSet", []))


async def _read_data_trail(
    aws: AwsReads, target: Target, described: Mapping[str, Any]
) -> DataTrail:
    arn = described["TrailARN"]
    home = Target(target.access, described["HomeRegion"])
    status, selectors = await asyncio.gather(
        aws.call(home, "cloudtrail", "get_trail_status", Name=arn),
        aws.call(home, "cloudtrail", "get_event_selectors", TrailName=arn),
    )
    return DataTrail.from_api(described["Name"], status, selectors)


class ConfigRules(AuditComponent):
    """Per account and region: the region's rules and their compliance, two paginated reads
    (a rule that has never been evaluated is missing from the second)."""

    component = "ConfigRules"
    check = CONFIG_RULES_COMPLIANCE

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        rules, compliance = await asyncio.gather(
            _all(context.aws, target, "config", "describe_config_rules", "ConfigRules"),
            _all(
                context.aws,
                target,
                "config",
                "describe_compliance_by_config_rule",
                "ComplianceByConfigRules",
            ),
        )
        return rule_verdicts(
            (rule["ConfigRuleName"] for rule in rules),
            {item["ConfigRuleName"]: item.get("Compliance", {}) for item in compliance},
        )


class TrustedAdvisorSecurity(AuditComponent):
    """Once per account: Trusted Advisor's checks, then the summaries of its security ones,
    through the Support API; SubscriptionRequiredException (no plan that includes the API)
    is the one "not available" result."""

    component = "TrustedAdvisorSecurity"
    check = TRUSTED_ADVISOR_SECURITY
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        support = Target(target.access, EDGE_REGION)
        try:
            listed = await context.aws.call(
                support, "support", "describe_trusted_advisor_checks", language="en"
            )
            checks = [c for c in listed.get("checks", []) if c.get("category") == SECURITY]
            summaries = (
                await context.aws.call(
                    support,
                    "support",
                    "describe_trusted_advisor_check_summaries",
                    checkIds=[check["id"] for check in checks],
                )
                if checks
                else {}
            )
        except PermanentAwsError as error:
            if error.code != SUBSCRIPTION_REQUIRED:
                raise
            return [Verdict("", NOT_AVAILABLE)]
        return security_verdicts(checks, {s["checkId"]: s for s in summaries.get("summaries", [])})


async def _all(
    aws: AwsReads, target: Target, service: str, operation: str, key: str, **params: Any
) -> list[Any]:
    """Every item under `key` of every page."""
    return [
        item
        async for page in aws.paginate(target, service, operation, **params)
        for item in page.get(key, [])
    ]
