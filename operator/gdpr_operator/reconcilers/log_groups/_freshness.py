"""How fresh a log group's events are, per instance writing to it. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gdpr_operator.reconcilers._delta import Delta
from gdpr_operator.reconcilers.log_groups._checks import INGESTION_FRESH


@dataclass(frozen=True, slots=True)
class Arrivals:
    """When events last arrived in a log group, per stream (each named after its instance)."""

    log_group: str
    streams: Mapping[str, float | None]
    """Stream name -> lastIngestionTime in seconds since the epoch; None: no events yet."""

    @property
    def last_seconds(self) -> float | None:
        """The group's latest arrival over all its streams."""
        return max((seen for seen in self.streams.values() if seen is not None), default=None)


def last_arrival(arrivals: Arrivals | None, stream: str) -> float | None:
    return arrivals.streams.get(stream) if arrivals else None


def freshness(last: float | None, *, now: float, max_age: float) -> tuple[bool, str]:
    """Whether the last event (arrived at `last`, None for never) is fresh, and the reason:
    when it arrived, for the metric's sake until reports carry timestamps."""
    if last is None:
        return False, "no log events yet"
    age = now - last
    reason = f"last event arrived {_when(last)}, {age:.0f}s ago"
    if age <= max_age:
        return True, reason
    return False, f"{reason}; the maximum age is {max_age:g}s"


def freshness_deltas(
    group: str,
    instance_ids: Sequence[str],
    arrivals: Arrivals | None,
    *,
    now: float,
    max_age: float,
) -> list[Delta]:
    """One delta per instance writing to `group`: nothing the operator writes makes events
    arrive (the other checks say why they do not), so a stale one waits, action none; a
    fresh one says when its last event arrived."""
    deltas = []
    for instance_id in instance_ids:
        fresh, reason = freshness(last_arrival(arrivals, instance_id), now=now, max_age=max_age)
        deltas.append(
            Delta(
                f"{group}/{instance_id}",
                {INGESTION_FRESH: None if fresh else reason},
                waits=True,
                note=reason,
            )
        )
    return deltas


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
