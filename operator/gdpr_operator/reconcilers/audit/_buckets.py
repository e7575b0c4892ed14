"""S3 server access logging, per bucket: are requests to it logged?

Pure. A bucket that receives other buckets' access logs is compliant without logging of its
own: logging it to a further bucket only moves the question there (every chain of log
buckets ends in one that is not logged), and logging it to itself logs its own log
deliveries, which AWS advises against. Sources and target share a region and an account, so
one region's buckets are enough to tell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from gdpr_operator.reconcilers.audit._component import Verdict

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
