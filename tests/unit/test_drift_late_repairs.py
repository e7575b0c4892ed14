"""A change's event that arrives after another pass already set the change back (CloudTrail
is minutes late in real AWS): the operator still names who made it, once, and only for a
repair made after the change."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import REGISTRY

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import Action, CheckResult
from gdpr_operator.report import RecentRepairs, metrics, status_update
from gdpr_operator.report._attribution import attributed_events, cause_note
from gdpr_operator.report._repairs import MAX_REPAIRS, REPAIRS_KEPT_SECONDS

CHANGED = "2026-12-01T13:02:11Z"
CHANGED_AT = datetime.fromisoformat(CHANGED.replace("Z", "+00:00")).timestamp()
CHECKS = ("logs.retention", "logs.arriving")
ALICE = "arn:aws:sts::111111111111:assumed-role/Admin/alice"


def _cause(principal: str = ALICE, event_time: str = CHANGED) -> DriftCause:
    return DriftCause(
        "111111111111",
        "eu-west-1",
        "LogGroups",
        principal,
        "PutRetentionPolicy",
        event_time,
        0.0,
        account="prod",
    )


def _pass(compliant: bool, action: Action, region: str = "eu-west-1") -> Outcome:
    result = CheckResult("logs.retention", "prod", region, "/gdpr/web", compliant, "why", action)
    return Outcome(results=(result,), components=(("LogGroups", CHECKS),))


REPAIRING = _pass(False, Action.REMEDIATED)
COMPLIANT = _pass(True, Action.NONE)


def _repaired_at(finished_at: float, outcome: Outcome = REPAIRING) -> RecentRepairs:
    """What an object remembers after a pass no change event brought (a resync, or one of
    another cause) repaired `outcome`'s results at `finished_at`."""
    return RecentRepairs().after_pass(outcome, (), finished_at)


def test_a_late_event_names_who_made_the_change_an_earlier_pass_repaired() -> None:
    recent = _repaired_at(CHANGED_AT + 0.8).fresh(CHANGED_AT + 60)
    cause = _cause()
    late = recent.claimed_by(COMPLIANT, [cause])

    (event,) = attributed_events(COMPLIANT, [cause], CHANGED_AT + 60, late)

    assert event.reason == "DriftDetected"
    assert event.message == (
        "LogGroups in prod/eu-west-1: logs.retention /gdpr/web: why; "
        f"changed by {ALICE} (PutRetentionPolicy at {CHANGED}); "
        "repaired 0.8 s after the change (by the pass before this event arrived)"
    )
    assert cause_note(COMPLIANT, "LogGroups", CHECKS, [cause], late) == (
        f"; changed by {ALICE} (PutRetentionPolicy at {CHANGED})"
    )


def test_the_late_event_reaches_the_status_and_the_histogram_once() -> None:
    cause = _cause()
    late = _repaired_at(CHANGED_AT + 2.5).claimed_by(COMPLIANT, [cause])
    labels = {"component": "LogGroups"}
    count = "gdpr_drift_event_to_repair_seconds_count"
    total = "gdpr_drift_event_to_repair_seconds_sum"
    before = (REGISTRY.get_sample_value(count, labels), REGISTRY.get_sample_value(total, labels))

    update = status_update(
        {}, 1, COMPLIANT, "2026-12-01T13:03:11Z", causes=[cause], finished_at=0.0, late=late
    )
    metrics.record_drift_causes(COMPLIANT, [cause], CHANGED_AT + 60, late)

    (condition,) = [c for c in update.status["conditions"] if c["type"] == "LogGroups"]
    assert condition["message"].endswith(f"; changed by {ALICE} (PutRetentionPolicy at {CHANGED})")
    assert [event.reason for event in update.events].count("DriftDetected") == 1
    assert REGISTRY.get_sample_value(count, labels) == (before[0] or 0) + 1
    assert REGISTRY.get_sample_value(total, labels) == (before[1] or 0) + 2.5


def test_other_drift_the_late_pass_leaves_does_not_hide_the_earlier_repair() -> None:
    cause = _cause()
    waiting = CheckResult(
        "logs.arriving", "prod", "eu-west-1", "/gdpr/web/i-1", False, "no events", Action.NONE
    )
    later = Outcome(results=(*COMPLIANT.results, waiting), components=COMPLIANT.components)
    late = _repaired_at(CHANGED_AT + 0.8).claimed_by(later, [cause])

    (event,) = attributed_events(later, [cause], CHANGED_AT + 60, late)

    assert event.message.startswith("LogGroups in prod/eu-west-1: logs.retention /gdpr/web: why;")
    assert event.message.endswith(
        "; repaired 0.8 s after the change (by the pass before this event arrived); "
        "not repaired (logs.arriving /gdpr/web/i-1: none)"
    ), event.message


def test_a_repair_that_finished_before_the_change_is_not_attributed_to_it() -> None:
    cause = _cause()
    late = _repaired_at(CHANGED_AT - 5).claimed_by(COMPLIANT, [cause])

    assert late == {}
    assert attributed_events(COMPLIANT, [cause], CHANGED_AT + 60, late) == []
    assert cause_note(COMPLIANT, "LogGroups", CHECKS, [cause], late) == ""


def test_a_repair_of_another_region_is_not_attributed() -> None:
    recent = _repaired_at(CHANGED_AT + 1, _pass(False, Action.REMEDIATED, region="us-east-1"))

    assert recent.claimed_by(COMPLIANT, [_cause()]) == {}


def test_a_repair_is_attributed_once_only() -> None:
    alice, bob = _cause(), _cause(principal="arn:aws:iam::111111111111:user/bob")
    recent = _repaired_at(CHANGED_AT + 1)

    late = recent.claimed_by(COMPLIANT, [alice, bob])
    assert list(late) == [alice]  # two causes in one pass: the one repair goes to one
    after = recent.after_pass(COMPLIANT, [alice], CHANGED_AT + 60, late.values())
    assert after.claimed_by(COMPLIANT, [bob]) == {}  # nor to a later one


def test_a_repair_the_pass_attributed_to_its_own_cause_is_not_attributed_again() -> None:
    alice = _cause()
    recent = RecentRepairs().after_pass(REPAIRING, [alice], CHANGED_AT + 1)

    assert recent.claimed_by(COMPLIANT, [_cause(principal="bob")]) == {}


def test_a_pass_that_finds_the_drift_itself_leaves_the_earlier_repairs_alone() -> None:
    recent = _repaired_at(CHANGED_AT + 1)

    assert recent.claimed_by(REPAIRING, [_cause()]) == {}


def test_repairs_expire_by_the_clock_given() -> None:
    recent = _repaired_at(CHANGED_AT + 1)

    assert recent.fresh(CHANGED_AT + 1 + REPAIRS_KEPT_SECONDS).claimed_by(COMPLIANT, [_cause()])
    expired = recent.fresh(CHANGED_AT + 2 + REPAIRS_KEPT_SECONDS)
    assert expired.claimed_by(COMPLIANT, [_cause()]) == {}
    assert expired.repairs == ()


def test_the_newest_repairs_are_kept_up_to_a_bound() -> None:
    recent = RecentRepairs()
    for second in range(MAX_REPAIRS + 5):
        recent = recent.after_pass(REPAIRING, (), CHANGED_AT + second)

    assert len(recent.repairs) == MAX_REPAIRS
    assert recent.repairs[0].finished_at == CHANGED_AT + 5
