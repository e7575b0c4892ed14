"""The DriftDetected Event of a pass an event brought: what it says was not repaired is a
result the pass did not repair, not the first one it found."""

from __future__ import annotations

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import Action, CheckResult
from gdpr_operator.report._attribution import attributed_events

CAUSE = DriftCause(
    "111111111111",
    "eu-west-1",
    "LogGroups",
    "arn:aws:sts::111111111111:assumed-role/Admin/alice",
    "PutRetentionPolicy",
    "2026-12-01T13:02:11Z",
    0.0,
    account="prod",
)


def _result(check: str, resource: str, compliant: bool, action: Action) -> CheckResult:
    return CheckResult(check, "prod", "eu-west-1", resource, compliant, "why", action)


def _message(*results: CheckResult) -> str:
    outcome = Outcome(
        results=results, components=(("LogGroups", ("logs.retention", "logs.arriving")),)
    )
    (event,) = attributed_events(outcome, [CAUSE], 0.0)
    return event.message


def test_a_repair_alongside_a_result_left_failing_names_the_one_left() -> None:
    message = _message(
        _result("logs.retention", "/gdpr/web", False, Action.REMEDIATED),
        _result("logs.arriving", "/gdpr/other", False, Action.NONE),
    )
    assert message.startswith("LogGroups in prod/eu-west-1: logs.retention /gdpr/web: why;")
    assert message.endswith("not repaired (logs.arriving /gdpr/other: none)"), message


def test_everything_repaired_says_repaired() -> None:
    message = _message(_result("logs.retention", "/gdpr/web", False, Action.REMEDIATED))
    assert "; repaired" in message, message
    assert "not repaired" not in message, message
