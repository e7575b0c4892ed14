"""The clocks the handlers read, in one place: the system's by default, a fake in tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds for measuring intervals: never goes back (not the time of day)."""
        ...

    def time(self) -> float:
        """The wall clock: seconds since the epoch."""
        ...


class SystemClock:
    """The real clocks: `time.monotonic` and `time.time`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


SYSTEM_CLOCK: Clock = SystemClock()


def utc_now(clock: Clock) -> datetime:
    """`clock`'s wall time in UTC, to the microsecond: what a Lease's renewTime and
    acquireTime hold (RFC 3339 micro-times)."""
    return datetime.fromtimestamp(clock.time(), UTC)
