"""AWS's request token buckets: which bucket a call draws from, and its size and refill.

AWS throttles per account and region, each API drawing on a bucket of its own whose size
and refill depend on the API's category. Where AWS documents the figures they are used:

- EC2 ("Request throttling for the Amazon EC2 API", EC2 Developer Guide): non-mutating
  actions (Describe*, Get*, List*) 100 tokens refilled at 20 a second; unfiltered and
  unpaginated non-mutating requests 50 / 10; mutating actions 50 / 5; actions with buckets
  of their own, AssociateIamInstanceProfile 100 / 5 and CreateTags 100 / 10.
- CloudWatch Logs (its service quotas): DescribeLogStreams 5 transactions a second.

Everything else (IAM, STS, SSM, GuardDuty, the other Logs APIs, ...) has no bucket AWS
documents: they get `UNDOCUMENTED`, 20 tokens refilled at 5 a second, EC2's slowest
published refill with a small burst, so that a client that keeps to it is never the one
faster than AWS.

The same table drives the layer's own client-side limits (`_rates`) and the sandbox's
realistic profile, which throttles what exceeds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Bucket:
    category: str
    """What AWS calls the bucket's kind, e.g. "non-mutating"; with the API, its identity."""
    capacity: float
    refill: float
    """Tokens added a second."""


UNDOCUMENTED = Bucket("undocumented", capacity=20, refill=5)
_EC2_NON_MUTATING = Bucket("non-mutating", capacity=100, refill=20)
_EC2_UNFILTERED = Bucket("unfiltered-unpaginated", capacity=50, refill=10)
_EC2_MUTATING = Bucket("mutating", capacity=50, refill=5)
_OWN_BUCKETS = {
    ("ec2", "AssociateIamInstanceProfile"): Bucket("own", capacity=100, refill=5),
    ("ec2", "CreateTags"): Bucket("own", capacity=100, refill=10),
    ("logs", "DescribeLogStreams"): Bucket("own", capacity=5, refill=5),
}
_NON_MUTATING_PREFIXES = ("Describe", "Get", "List")
_SHAPING_PARAMETERS = ("Filter", "MaxResults", "NextToken", "InstanceId", "AssociationId")


def bucket_for(service: str, operation: str, params: Mapping[str, Any]) -> Bucket:
    """The bucket a call of `operation` (the API's name, "DescribeInstances") with request
    parameters `params` draws from. For EC2, a non-mutating request is unfiltered and
    unpaginated when no parameter filters, pages or names what it reads."""
    own = _OWN_BUCKETS.get((service, operation))
    if own is not None:
        return own
    if service != "ec2":
        return UNDOCUMENTED
    if not operation.startswith(_NON_MUTATING_PREFIXES):
        return _EC2_MUTATING
    if any(name.startswith(_SHAPING_PARAMETERS) for name in params):
        return _EC2_NON_MUTATING
    return _EC2_UNFILTERED


class TokenBucket:
    """A bucket's tokens over time, from full. Not thread-safe: its owner locks."""

    def __init__(self, bucket: Bucket, now: float) -> None:
        self._capacity = bucket.capacity
        self._refill = bucket.refill
        self._tokens = bucket.capacity
        self._as_of = now

    def reserve(self, now: float) -> float:
        """Take a token, on credit if need be: seconds until it exists (0: at once)."""
        self._refilled(now)
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self._refill

    def take(self, now: float) -> bool:
        """Take a token if there is one (AWS's side: no token, the request is throttled)."""
        self._refilled(now)
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _refilled(self, now: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now - self._as_of) * self._refill)
        self._as_of = now
