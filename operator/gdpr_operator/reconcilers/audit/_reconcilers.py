"""The four audit components: what each reads, in which region, before its pure rule judges.

Every call is a read; a failed one (AccessDenied included) propagates as the AwsError, which
the engine reports as the component's error for that target.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit._buckets import bucket_verdicts
from gdpr_operator.reconcilers.audit._checks import (
    CLOUDTRAIL_MULTI_REGION,
    CONFIG_RECORDER,
    S3_ACCESS_LOGGING,
    VPC_FLOW_LOGS,
)
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._flow_logs import FlowLog, vpc_verdicts
from gdpr_operator.reconcilers.audit._recorders import Recorder, recorder_verdict
from gdpr_operator.reconcilers.audit._trails import Trail, trail_verdict


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
        buckets = [
            bucket["Name"]
            for bucket in await _all(
                context.aws, target, "s3", "list_buckets", "Buckets", BucketRegion=target.region
            )
        ]
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


async def _all(
    aws: AwsReads, target: Target, service: str, operation: str, key: str, **params: Any
) -> list[Any]:
    """Every item under `key` of every page."""
    return [
        item
        async for page in aws.paginate(target, service, operation, **params)
        for item in page.get(key, [])
    ]
