"""Counts of the AWS API requests the sandbox has seen (faulted ones included)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from ._requests import AwsRequest


class CallLog:
    """Requests per (service, operation, account, region). Thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str, str]] = Counter()
        self._lock = threading.Lock()

    def record(self, request: AwsRequest) -> None:
        with self._lock:
            self._counts[(request.service, request.operation, request.account, request.region)] += 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"service": s, "operation": o, "account": a, "region": r, "count": n}
                for (s, o, a, r), n in sorted(self._counts.items())
            ]
