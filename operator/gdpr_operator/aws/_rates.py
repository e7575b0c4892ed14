"""The layer's own rate limits: AWS's request buckets (`_buckets`), kept on the client side.

One token bucket per account, region and API, sized and refilled as AWS's is, so that a pass
spends its burst and then goes at the rate AWS allows instead of being throttled into
backoff. A call reserves a token before each attempt and waits, on the event loop, for as
long as the bucket is in debt: waiters are served in the order they came. AssumeRole, which
botocore makes inside whichever worker thread first needs an account's credentials, waits in
that thread (`pause`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._buckets import TokenBucket, bucket_for


class RateLimits:
    """A bucket per (account id, region, service, API, bucket category), made on first use.
    Thread-safe: the event loop and worker threads reserve from the same buckets."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str, str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def delay(
        self, account_id: str, region: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> float:
        """Reserve a token for a call of `operation` (the API's name); seconds to wait."""
        bucket = bucket_for(service, operation, params)
        key = (account_id, region, service, operation, bucket.category)
        with self._lock:
            now = self._clock()
            limiter = self._buckets.get(key)
            if limiter is None:
                limiter = self._buckets[key] = TokenBucket(bucket, now)
            return limiter.reserve(now)

    async def acquire(
        self, account_id: str, region: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> None:
        wait = self.delay(account_id, region, service, operation, params)
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(
        self, account_id: str, region: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> None:
        """`acquire` for a worker thread: blocks it for as long as the bucket is in debt."""
        wait = self.delay(account_id, region, service, operation, params)
        if wait > 0:
            time.sleep(wait)
