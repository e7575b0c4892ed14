"""Log groups: what is wrong with one, the calls that repair it, and how fresh its events
are. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gdpr_operator.model import LogsSpec


@dataclass(frozen=True, slots=True)
class LogGroup:
    """A log group as DescribeLogGroups describes it."""

    name: str
    retention_days: int | None
    """None: its events never expire."""
    kms_key_id: str | None

    @classmethod
    def from_api(cls, reply: Mapping[str, Any]) -> LogGroup:
        return cls(reply["logGroupName"], reply.get("retentionInDays"), reply.get("kmsKeyId"))


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


def retention_problem(days: int, group: LogGroup | None) -> str | None:
    if group is None:
        return "the log group does not exist"
    if group.retention_days is None:
        return (
            f"events never expire; the spec keeps them {days} days "
            "(storage limitation, Art. 5(1)(e))"
        )
    if group.retention_days != days:
        return f"events kept {group.retention_days} days, the spec says {days}"
    return None


def encryption_problem(key: str, group: LogGroup | None) -> str | None:
    if group is None:
        return "the log group does not exist"
    if group.kms_key_id is None:
        return f"not encrypted with a KMS key; the spec asks for {key}"
    if group.kms_key_id != key:
        return f"encrypted with {group.kms_key_id}, the spec asks for {key}"
    return None


def repairs(
    name: str, logs: LogsSpec, group: LogGroup | None, tags: Mapping[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """The calls (operation, parameters) that make the log group compliant, in order."""
    calls: list[tuple[str, dict[str, Any]]] = []
    key = logs.kms_key_arn
    if group is None:
        calls.append(
            (
                "create_log_group",
                {"logGroupName": name, "tags": dict(tags), **({"kmsKeyId": key} if key else {})},
            )
        )
    elif key and encryption_problem(key, group):
        calls.append(("associate_kms_key", {"logGroupName": name, "kmsKeyId": key}))
    if retention_problem(logs.retention_days, group):
        calls.append(
            ("put_retention_policy", {"logGroupName": name, "retentionInDays": logs.retention_days})
        )
    return calls


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


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
