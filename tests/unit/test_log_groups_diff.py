"""Log groups' pure parts: what is wrong, the repairing calls (the delta), and freshness."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.model import LogsSpec
from gdpr_operator.reconcilers.log_groups._checks import ENCRYPTION, INGESTION_FRESH, RETENTION
from gdpr_operator.reconcilers.log_groups._diff import (
    LogGroup,
    encryption_problem,
    group_delta,
    repairs,
    retention_problem,
)
from gdpr_operator.reconcilers.log_groups._freshness import (
    Arrivals,
    freshness,
    freshness_deltas,
    last_arrival,
)

KEY = "arn:aws:kms:eu-west-1:111111111111:key/spec"
OTHER = "arn:aws:kms:eu-west-1:111111111111:key/other"
NAME = "/gdpr/web/nginx/access"
TAGS = {"gdpr-operator:owner": "security/web"}
PLAIN = LogsSpec("/gdpr/web", 365, None, 900.0)
ENCRYPTED = LogsSpec("/gdpr/web", 365, KEY, 900.0)


def _group(retention: int | None = 365, key: str | None = KEY) -> LogGroup:
    return LogGroup(NAME, retention, key)


def test_log_group_from_describe_log_groups() -> None:
    assert LogGroup.from_api(
        {"logGroupName": NAME, "retentionInDays": 30, "kmsKeyId": KEY, "arn": "arn:..."}
    ) == LogGroup(NAME, 30, KEY)
    assert LogGroup.from_api({"logGroupName": NAME}) == LogGroup(NAME, None, None)


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        (None, "the log group does not exist"),
        (_group(), None),
        (_group(retention=30), "events kept 30 days, the spec says 365"),
        (
            _group(retention=None),
            "events never expire; the spec keeps them 365 days (storage limitation, Art. 5(1)(e))",
        ),
    ],
)
def test_retention_problem(group: LogGroup | None, problem: str | None) -> None:
    assert retention_problem(365, group) == problem


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        (None, "the log group does not exist"),
        (_group(), None),
        (_group(key=None), f"not encrypted with a KMS key; the spec asks for {KEY}"),
        (_group(key=OTHER), f"encrypted with {OTHER}, the spec asks for {KEY}"),
    ],
)
def test_encryption_problem(group: LogGroup | None, problem: str | None) -> None:
    assert encryption_problem(KEY, group) == problem


RETAIN = ("put_retention_policy", {"logGroupName": NAME, "retentionInDays": 365})


@pytest.mark.parametrize(
    ("logs", "group", "calls"),
    [
        (PLAIN, None, [("create_log_group", {"logGroupName": NAME, "tags": TAGS}), RETAIN]),
        (
            ENCRYPTED,
            None,
            [("create_log_group", {"logGroupName": NAME, "tags": TAGS, "kmsKeyId": KEY}), RETAIN],
        ),
        (ENCRYPTED, _group(), []),
        (PLAIN, _group(key=None), []),
        (PLAIN, _group(retention=None, key=OTHER), [RETAIN]),  # no key asked: none changed
        (
            ENCRYPTED,
            _group(retention=7, key=OTHER),
            [("associate_kms_key", {"logGroupName": NAME, "kmsKeyId": KEY}), RETAIN],
        ),
        (
            ENCRYPTED,
            _group(key=None),
            [("associate_kms_key", {"logGroupName": NAME, "kmsKeyId": KEY})],
        ),
    ],
)
def test_repairs(
    logs: LogsSpec, group: LogGroup | None, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    made = repairs(NAME, logs, group, TAGS)
    assert {call.service for call in made} <= {"logs"}
    assert [(call.operation, dict(call.params)) for call in made] == calls
    delta = group_delta(NAME, logs, group, TAGS)
    assert delta.resource == NAME
    assert delta.calls == made
    assert delta.wrong == bool(calls)


def test_group_delta_checks_the_key_only_when_the_spec_sets_one() -> None:
    assert group_delta(NAME, PLAIN, _group(retention=30, key=None), TAGS).problems == {
        RETENTION: "events kept 30 days, the spec says 365"
    }
    assert group_delta(NAME, ENCRYPTED, _group(key=None), TAGS).problems == {
        RETENTION: None,
        ENCRYPTION: f"not encrypted with a KMS key; the spec asks for {KEY}",
    }


ARRIVALS = Arrivals(NAME, {"i-1": 1_700_000_000.0, "i-2": None})


@pytest.mark.parametrize(
    ("arrivals", "stream", "last"),
    [
        (ARRIVALS, "i-1", 1_700_000_000.0),
        (ARRIVALS, "i-2", None),  # a stream without events
        (ARRIVALS, "i-3", None),  # no stream
        (None, "i-1", None),  # no log group to read
    ],
)
def test_last_arrival(arrivals: Arrivals | None, stream: str, last: float | None) -> None:
    assert last_arrival(arrivals, stream) == last


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("last", "verdict"),
    [
        (None, (False, "no log events yet")),
        (NOW - 60, (True, "last event arrived 2023-11-14T22:12:20+00:00, 60s ago")),
        (NOW - 900, (True, "last event arrived 2023-11-14T21:58:20+00:00, 900s ago")),
        (
            NOW - 901,
            (
                False,
                "last event arrived 2023-11-14T21:58:19+00:00, 901s ago; the maximum age is 900s",
            ),
        ),
    ],
)
def test_freshness(last: float | None, verdict: tuple[bool, str]) -> None:
    assert freshness(last, now=NOW, max_age=900.0) == verdict


def test_freshness_deltas_wait_when_stale_and_say_when_fresh() -> None:
    arrivals = Arrivals(NAME, {"i-1": NOW - 60, "i-2": None})
    fresh, never = freshness_deltas(NAME, ["i-1", "i-2"], arrivals, now=NOW, max_age=900.0)
    assert (fresh.resource, never.resource) == (f"{NAME}/i-1", f"{NAME}/i-2")
    assert fresh.problems == {INGESTION_FRESH: None}
    assert fresh.note == "last event arrived 2023-11-14T22:12:20+00:00, 60s ago"
    assert never.problems == {INGESTION_FRESH: "no log events yet"}
    assert never.waits
    assert never.calls == fresh.calls == ()
