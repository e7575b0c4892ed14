"""The sandbox's profiles: `instant` (the default: moto answers at once, nothing throttles,
everything is consistent at once) and `aws`, which behaves as AWS does where the operator
can tell the difference:

- latency: every request answers after a delay drawn from a log-normal distribution
  (`Latency`: median and 99th percentile, reads and writes apart);
- AWS's request token buckets per account, region and API (`gdpr_operator.aws.bucket_for`):
  a request finding its bucket empty gets the service's throttling error (EC2
  RequestLimitExceeded 503, query-protocol Throttling 400, JSON ThrottlingException 400);
- eventual consistency (`Propagation`): an instance profile just created (or just given its
  role) is unknown to EC2 for a few seconds (AssociateIamInstanceProfile,
  ReplaceIamInstanceProfileAssociation and RunInstances answer InvalidParameterValue "Invalid
  IAM Instance Profile name"); a role just created cannot be assumed yet (AccessDenied); an
  instance appears in SSM's DescribeInstanceInformation only some time after its role lets
  the agent register; an association runs for a while, Pending, before it reports Success;
- IAM: a call signed with an assumed role's credentials is AccessDenied unless the role's
  identity policies allow it, resources and conditions evaluated (`_iam_enforce`); the
  operator role of each sandbox account holds the operator's generated policy.

Times scale by `time_scale` (GDPR_SANDBOX_TIME_SCALE; `gdpr-operator sandbox --time-scale`):
0.1 makes every latency and propagation delay ten times shorter, so tests keep the behaviour
at a tenth of the wait. The buckets do not scale: they are rates, and what they decide is
whether the client keeps to AWS's.

Selected with `gdpr-operator sandbox --profile aws`, `running_sandbox(profile="aws")`, or
GDPR_SANDBOX_PROFILE=aws for whatever starts a sandbox without saying (tests, benchmarks).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from gdpr_operator.aws import TokenBucket, bucket_for

from ._requests import AwsRequest

INSTANT, AWS = "instant", "aws"
PROFILES = (INSTANT, AWS)
_Z99 = 2.3263  # the standard normal's 99th percentile


@dataclass(frozen=True, slots=True)
class Latency:
    """Log-normal per-request latency, in milliseconds: median and 99th percentile."""

    read_median_ms: float = 40.0
    read_p99_ms: float = 250.0
    write_median_ms: float = 90.0
    write_p99_ms: float = 600.0

    def draw(self, write: bool, rng: random.Random) -> float:
        """Seconds."""
        median, p99 = (
            (self.write_median_ms, self.write_p99_ms)
            if write
            else (self.read_median_ms, self.read_p99_ms)
        )
        sigma = math.log(p99 / median) / _Z99
        return rng.lognormvariate(math.log(median), sigma) / 1000


@dataclass(frozen=True, slots=True)
class Propagation:
    """Seconds before what was just done shows where AWS shows it late."""

    instance_profile: float = 8.0
    """A new instance profile (or its new role) before EC2 accepts it."""
    role: float = 6.0
    """A new role before STS lets it be assumed."""
    ssm_registration: float = 15.0
    """An instance whose role now allows SSM before DescribeInstanceInformation lists it."""
    association_run: float = 10.0
    """An association's run on an instance, Pending, before it reports Success."""


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    latency: Latency | None = None
    buckets: bool = False
    propagation: Propagation | None = None
    iam: bool = False
    """Whether assumed roles' calls are evaluated against their IAM policies (`_iam_enforce`)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def scaled(self, factor: float) -> Profile:
        """Every latency and propagation delay times `factor` (buckets unchanged)."""
        latency = self.latency and Latency(
            *(getattr(self.latency, f) * factor for f in Latency.__dataclass_fields__)
        )
        propagation = self.propagation and Propagation(
            *(getattr(self.propagation, f) * factor for f in Propagation.__dataclass_fields__)
        )
        return replace(self, latency=latency, propagation=propagation)


def profile_named(name: str | None = None, time_scale: float | None = None) -> Profile:
    """The profile `name` (default GDPR_SANDBOX_PROFILE, else instant), its times scaled by
    `time_scale` (default GDPR_SANDBOX_TIME_SCALE, else 1)."""
    name = name or os.environ.get("GDPR_SANDBOX_PROFILE") or INSTANT
    if name not in PROFILES:
        raise ValueError(f"unknown sandbox profile {name!r}: one of {', '.join(PROFILES)}")
    if name == INSTANT:
        return Profile(INSTANT)
    scale = time_scale if time_scale is not None else _env_scale()
    return Profile(AWS, Latency(), buckets=True, propagation=Propagation(), iam=True).scaled(scale)


def _env_scale() -> float:
    value = float(os.environ.get("GDPR_SANDBOX_TIME_SCALE") or 1.0)
    if value <= 0:
        raise ValueError("GDPR_SANDBOX_TIME_SCALE must be positive")
    return value


@dataclass
class Realism:
    """The profile in force and its state: buckets, and when things were made. One per
    process, like moto's state; thread-safe."""

    profile: Profile = field(default_factory=lambda: Profile(INSTANT))
    _buckets: dict[tuple[str, str, str, str, str], TokenBucket] = field(default_factory=dict)
    _made: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, profile: Profile) -> None:
        with self._lock:
            self.profile = profile
            self._buckets.clear()
            self._made.clear()

    def reset(self) -> None:
        """Forget the state, keep the profile."""
        self.use(self.profile)

    def latency(self, request: AwsRequest) -> float:
        """Seconds this request takes to answer."""
        latency = self.profile.latency
        if latency is None:
            return 0.0
        with self._lock:
            return latency.draw(_writes(request.operation), self._rng)

    def admitted(self, request: AwsRequest, params: dict[str, str]) -> bool:
        """Whether the request's bucket has a token for it (it takes it)."""
        if not self.profile.buckets:
            return True
        bucket = bucket_for(request.service, request.operation, params)
        key = (request.account, request.region, request.service, request.operation, bucket.category)
        now = time.monotonic()
        with self._lock:
            tokens = self._buckets.get(key)
            if tokens is None:
                tokens = self._buckets[key] = TokenBucket(bucket, now)
            admitted: bool = tokens.take(now)
            return admitted

    def made(self, kind: str, account: str, name: str) -> None:
        """`kind` ("instance-profile", "role", ...) `name` was just made or changed."""
        if self.profile.propagation is not None:
            with self._lock:
                self._made[(kind, account, name)] = time.monotonic()

    def settling(self, kind: str, account: str, name: str, seconds: float) -> bool:
        """Whether `name` was made less than `seconds` ago (and so does not show yet)."""
        with self._lock:
            made = self._made.get((kind, account, name))
        return made is not None and time.monotonic() - made < seconds

    def age(self, kind: str, account: str, name: str) -> float:
        """Seconds since `name` was first asked about (0 the first time)."""
        now = time.monotonic()
        with self._lock:
            return now - self._made.setdefault((kind, account, name), now)

    @property
    def propagation(self) -> Propagation | None:
        return self.profile.propagation


def _writes(operation: str) -> bool:
    return not operation.startswith(("Describe", "Get", "List"))


REALISM = Realism()


@contextmanager
def profile_in_force(name: str, time_scale: float | None = None) -> Iterator[Profile]:
    """The running sandbox behaves as profile `name` inside the block (in this process)."""
    previous = REALISM.profile
    REALISM.use(profile_named(name, time_scale))
    try:
        yield REALISM.profile
    finally:
        REALISM.use(previous)
