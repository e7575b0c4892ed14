"""s3.access_logging, per bucket: are requests to it logged?

A bucket that receives other buckets' access logs is compliant without logging of its
own: logging it to a further bucket only moves the question there (every chain of log
buckets ends in one that is not logged), and logging it to itself logs its own log
deliveries, which AWS advises against. Sources and target share a region and an account, so
one region's buckets are enough to tell.

Read, in the bucket's region: ListBuckets filtered to the target's region (sent there, as
AWS requires), then GetBucketLogging for each. Buckets of regions the spec does not cover
are not reported.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict

CHECK = CheckInfo(
    id="s3.access_logging",
    summary="Each bucket of the region has server access logging, unless it holds other "
    "buckets' access logs.",
    articles=("5(2)", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per bucket
    iam_actions=frozenset({"s3:ListAllMyBuckets", "s3:GetBucketLogging"}),
)

LOGGING_OFF = "server access logging is off"


def bucket_verdicts(log_targets: Mapping[str, str | None]) -> list[Verdict]:
    """`log_targets`: each bucket of a region -> where its access logs go (None: nowhere).
    One verdict per bucket; the resource is the bucket's name."""
    sources = Counter(
        target for bucket, target in log_targets.items() if target is not None and target != bucket
    )
    return [
        _verdict(bucket, target, sources[bucket]) for bucket, target in sorted(log_targets.items())
    ]


def _verdict(bucket: str, log_target: str | None, sources: int) -> Verdict:
    if log_target is not None:
        return Verdict(bucket, None)
    if sources:
        return Verdict(
            bucket, None, f"log target bucket: holds the access logs of {sources} bucket(s)"
        )
    return Verdict(bucket, LOGGING_OFF)


class S3AccessLogging(AuditComponent[dict[str, str | None]]):
    component = "S3AccessLogging"
    check = CHECK

    async def observe(self, context: Context, target: Target) -> dict[str, str | None]:
        """Each bucket of the region -> where its access logs go (None: nowhere)."""
        buckets = await _observe.region_buckets(context.aws, target)
        replies = await asyncio.gather(
            *(
                context.aws.call(target, "s3", "get_bucket_logging", Bucket=bucket)
                for bucket in buckets
            )
        )
        return {
            bucket: reply.get("LoggingEnabled", {}).get("TargetBucket")
            for bucket, reply in zip(buckets, replies, strict=True)
        }

    def verdicts(self, observed: dict[str, str | None], spec: MonitoringSpec) -> Sequence[Verdict]:
        return bucket_verdicts(observed)
