from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from gdpr_operator.handlers._config import ERROR_RETRY_SECONDS, RESYNC_JITTER
from gdpr_operator.handlers._schedule import jitter_factor, next_pass_after, resync_due

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "generation", "due"),
    [
        ({}, 1, True),
        ({"observedGeneration": 1}, 1, True),
        ({"observedGeneration": 1, "lastReconcileTime": "2026-01-01T11:59:00Z"}, 1, False),
        ({"observedGeneration": 1, "lastReconcileTime": "2026-01-01T11:55:00Z"}, 1, True),
        ({"observedGeneration": 1, "lastReconcileTime": "2026-01-01T11:54:00Z"}, 1, True),
        ({"observedGeneration": 1, "lastReconcileTime": "2026-01-01T11:59:00Z"}, 2, True),
        ({"observedGeneration": 1, "lastReconcileTime": "yesterday"}, 1, True),
    ],
)
def test_resync_due(status: dict[str, Any], generation: int, due: bool) -> None:
    assert resync_due(status, generation, 300, NOW) is due


def test_jitter_stays_within_bounds_and_varies() -> None:
    rng = random.Random(7)
    factors = [jitter_factor(rng) for _ in range(1000)]
    assert all(1 - RESYNC_JITTER <= f <= 1 + RESYNC_JITTER for f in factors)
    assert max(factors) - min(factors) > RESYNC_JITTER


@pytest.mark.parametrize(
    ("interval", "failures", "after"),
    [
        (300, 0, 300),
        (300, 1, ERROR_RETRY_SECONDS),
        (300, 2, 2 * ERROR_RETRY_SECONDS),
        (300, 3, 4 * ERROR_RETRY_SECONDS),
        (300, 6, 300),  # 320 s of backoff: the interval caps it
        (30, 3, 30),
        (300, 10_000, 300),  # no overflow however long the outage
    ],
)
def test_failed_passes_are_retried_sooner_with_backoff(
    interval: float, failures: int, after: float
) -> None:
    assert next_pass_after(interval, failures) == after
