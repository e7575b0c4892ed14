"""Counts of the AWS API requests the sandbox has seen (faulted ones included), and when
each of the latest arrived."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

from ._requests import AwsRequest

TIMELINE_LENGTH = 100_000
"""Arrival times kept, the latest first to go: bounded memory however long the sandbox runs."""


class CallLog:
    """Requests per (service, operation, account, region), and the arrival time (seconds
    since the epoch, as the request arrives, before any fault delays it) of the latest
    TIMELINE_LENGTH. Thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str, str]] = Counter()
        self._timeline: deque[tuple[float, tuple[str, str, str, str]]] = deque(
            maxlen=TIMELINE_LENGTH
        )
        self._lock = threading.Lock()

    def record(self, request: AwsRequest) -> None:
        key = (request.service, request.operation, request.account, request.region)
        with self._lock:
            self._counts[key] += 1
            self._timeline.append((time.time(), key))

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._timeline.clear()

    def to_json(self, since: float | None = None) -> list[dict[str, Any]]:
        """Counts since the last clear; with `since`, of the requests that arrived then or
        later (among the latest TIMELINE_LENGTH)."""
        with self._lock:
            if since is None:
                counts = self._counts
            else:
                counts = Counter(key for arrived, key in self._timeline if arrived >= since)
            return [
                {"service": s, "operation": o, "account": a, "region": r, "count": n}
                for (s, o, a, r), n in sorted(counts.items())
            ]
