"""When a GdprMonitoring's next drift resync is due (pure, so it is table-tested); the time as
status writes it."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock
from gdpr_operator.handlers._config import ERROR_RETRY_SECONDS, RESYNC_JITTER


def jitter_factor(rng: random.Random | None = None) -> float:
    """A factor within 1 +/- RESYNC_JITTER, drawn afresh for each cycle."""
    return (rng or random).uniform(1 - RESYNC_JITTER, 1 + RESYNC_JITTER)


def next_pass_after(interval_seconds: float, failures_in_a_row: int) -> float:
    """Seconds from one pass to the next: the resync interval, or sooner after failed passes
    (ERROR_RETRY_SECONDS, doubling with each failure, never beyond the interval)."""
    if failures_in_a_row <= 0:
        return interval_seconds
    backoff = ERROR_RETRY_SECONDS * float(2 ** min(failures_in_a_row - 1, 16))
    return min(interval_seconds, backoff)


def resync_due(
    status: Mapping[str, Any], generation: int, interval_seconds: float, now: datetime
) -> bool:
    """Due when the spec was never reconciled at this generation, or the interval elapsed."""
    if status.get("observedGeneration") != generation:
        return True
    last = status.get("lastReconcileTime")
    if not isinstance(last, str):
        return True
    try:
        elapsed = (now - datetime.fromisoformat(last)).total_seconds()
    except ValueError:
        return True
    return elapsed >= interval_seconds


def now(clock: Clock = SYSTEM_CLOCK) -> datetime:
    """`clock`'s current time in UTC, to the second (as status shows it)."""
    return datetime.fromtimestamp(clock.time(), UTC).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    """`moment` as Kubernetes writes times: 2026-11-20T09:05:00Z."""
    return moment.isoformat().replace("+00:00", "Z")
