"""The reads several audit checks make: every page of a listing, a region's buckets, the
distributions, the trails a region lists and each trail's state in its home Region.

Every call is a read; a failed one (AccessDenied included) propagates as the AwsError, which
the engine reports as the component's error for that target.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from gdpr_operator.aws import PermanentAwsError, Target, tag_map
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers.audit._web_acls import Distribution

EDGE_REGION = "us-east-1"
"""Where CloudFront, the web ACLs in front of it (scope CLOUDFRONT) and the Support API
answer."""


async def every_item(
    aws: AwsReads, target: Target, service: str, operation: str, key: str, **params: Any
) -> list[Any]:
    """Every item under `key` of every page."""
    return [
        item
        async for page in aws.paginate(target, service, operation, **params)
        for item in page.get(key, [])
    ]


async def region_buckets(aws: AwsReads, target: Target) -> list[str]:
    """The buckets of the target's region: ListBuckets filtered to it, sent there, as AWS
    requires."""
    return [
        bucket["Name"]
        for bucket in await every_item(
            aws, target, "s3", "list_buckets", "Buckets", BucketRegion=target.region
        )
    ]


async def bucket_tags(aws: AwsReads, target: Target, bucket: str) -> dict[str, str]:
    """A bucket's tags; S3 answers NoSuchTagSet for a bucket without any."""
    try:
        reply = await aws.call(target, "s3", "get_bucket_tagging", Bucket=bucket)
    except PermanentAwsError as error:
        if error.code != "NoSuchTagSet":
            raise
        return {}
    return tag_map(reply.get("TagSet", []))


async def distributions(aws: AwsReads, target: Target) -> list[Distribution]:
    """The account's CloudFront distributions, listed where CloudFront answers."""
    return [
        Distribution.from_api(summary)
        async for page in aws.paginate(
            Target(target.access, EDGE_REGION), "cloudfront", "list_distributions"
        )
        for summary in page.get("DistributionList", {}).get("Items") or []
    ]


async def listed_trails(aws: AwsReads, target: Target) -> list[Mapping[str, Any]]:
    """DescribeTrails in the target's region, shadow trails included: every trail that
    covers the region, wherever its home."""
    listed = await aws.call(target, "cloudtrail", "describe_trails", includeShadowTrails=True)
    return list(listed.get("trailList", []))


async def trail_state(
    aws: AwsReads, target: Target, described: Mapping[str, Any]
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """A listed trail's GetTrailStatus and GetEventSelectors, read in its home Region, where
    they are kept."""
    arn = described["TrailARN"]
    home = Target(target.access, described["HomeRegion"])
    status, selectors = await asyncio.gather(
        aws.call(home, "cloudtrail", "get_trail_status", Name=arn),
        aws.call(home, "cloudtrail", "get_event_selectors", TrailName=arn),
    )
    return status, selectors
