"""Log groups: what is wrong with one and the calls that repair it, as one Delta. Pure.

`repairs` is shared with the other components that create groups under the prefix (flow
logs): they report the group under a check of their own, fixed by the same calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.model import CheckInfo, LogsSpec
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers.log_groups._checks import ENCRYPTION, RETENTION


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


def group_delta(
    group: str, logs: LogsSpec, found: LogGroup | None, tags: Mapping[str, str]
) -> Delta:
    """The log group named `group` (`found` as read, None when it does not exist): its
    retention, its KMS key when the spec sets one, and the calls that fix both."""
    problems: dict[CheckInfo, str | None] = {
        RETENTION: retention_problem(logs.retention_days, found)
    }
    if logs.kms_key_arn:
        problems[ENCRYPTION] = encryption_problem(logs.kms_key_arn, found)
    return Delta(group, problems, calls=repairs(group, logs, found, tags))


def repairs(
    name: str, logs: LogsSpec, group: LogGroup | None, tags: Mapping[str, str]
) -> tuple[Call, ...]:
    """The calls that make the log group compliant, in order: created (tagged, with the
    spec's key) or given the spec's key, then its retention. None when it is compliant."""
    calls: list[Call] = []
    key = logs.kms_key_arn
    if group is None:
        calls.append(
            Call(
                "logs",
                "create_log_group",
                {"logGroupName": name, "tags": dict(tags), **({"kmsKeyId": key} if key else {})},
            )
        )
    elif key and encryption_problem(key, group):
        calls.append(Call("logs", "associate_kms_key", {"logGroupName": name, "kmsKeyId": key}))
    if retention_problem(logs.retention_days, group):
        calls.append(
            Call(
                "logs",
                "put_retention_policy",
                {"logGroupName": name, "retentionInDays": logs.retention_days},
            )
        )
    return tuple(calls)
