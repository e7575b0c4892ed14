"""When a failed call is tried again, and after how long: the layer's one retry policy.

botocore is told not to retry (one attempt per call): the layer retries, so that a call
waiting to be tried again holds no worker thread and no concurrency slot, every attempt
goes through the layer's rate limits, and a page of a pagination can be fetched again
without starting over.

- Server-side failures and unreachable endpoints (`AwsServiceError`, `AwsUnreachable`):
  `max_attempts` attempts in all, after botocore's standard backoff for them (full jitter,
  50 ms doubling).
- Throttling: retried for as long as the call is within `throttle_patience` seconds of its
  first attempt, after a full-jitter backoff of 250 ms doubling up to 4 s. A fixed number
  of attempts gives up on a busy account: with half of the calls throttled, 1 call in 16
  fails four attempts, and a pass of hundreds of calls always has some. A time budget
  bounds the pass instead, and a sustained storm still ends in `Throttled` in bounded time.
- Eventual consistency (`_errors.propagating`: EC2 refusing an instance profile IAM made
  seconds ago): retried for `PROPAGATION_PATIENCE` seconds, backoff 500 ms doubling up to
  4 s; AWS documents that such changes take seconds to show, so the pass waits for them
  rather than failing and coming back a resync later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._errors import AwsError, propagating

TRANSIENT_REASONS = frozenset({"AwsServiceError", "AwsUnreachable"})
THROTTLED = "Throttled"

_TRANSIENT_BASE, _TRANSIENT_CAP = 0.05, 20.0
_THROTTLE_BASE, _THROTTLE_CAP = 0.25, 4.0
_PROPAGATION_BASE, _PROPAGATION_CAP = 0.5, 4.0
PROPAGATION_PATIENCE = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    """Attempts at a call failing on AWS's side or unreachable, the first one included."""
    throttle_patience: float
    """Seconds from a call's first attempt within which throttling is retried."""

    def delay(
        self, error: AwsError, *, attempt: int, elapsed: float, draw: Callable[[], float]
    ) -> float | None:
        """Seconds to wait before attempt `attempt` + 1, after `error` ended attempt
        `attempt` (1-based) `elapsed` seconds after the call's first; None: give up.
        `draw` gives the jitter, uniform in [0, 1)."""
        reason = error.reason
        if reason == THROTTLED:
            wait = draw() * min(_THROTTLE_BASE * 2.0 ** (attempt - 1), _THROTTLE_CAP)
            return wait if elapsed + wait <= self.throttle_patience else None
        if propagating(error):
            wait = draw() * min(_PROPAGATION_BASE * 2.0 ** (attempt - 1), _PROPAGATION_CAP)
            return wait if elapsed + wait <= PROPAGATION_PATIENCE else None
        if reason in TRANSIENT_REASONS and attempt < self.max_attempts:
            return draw() * min(_TRANSIENT_BASE * 2.0 ** (attempt - 1), _TRANSIENT_CAP)
        return None
