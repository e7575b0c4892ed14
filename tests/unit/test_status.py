from __future__ import annotations

from gdpr_operator.engine import CheckError, Outcome, Refusal
from gdpr_operator.model import Action, CheckResult, Denial
from gdpr_operator.report import MAX_SUMMARY_TARGETS, status_update

T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"


def _result(
    compliant: bool,
    action: Action = Action.NONE,
    region: str = "eu-west-1",
    check: str = "guardduty.detector_enabled",
) -> CheckResult:
    return CheckResult(check, "prod", region, "d-1", compliant, "why", action)


def _conditions(
    outcome: Outcome, previous: dict[str, object] | None = None, now: str = T0
) -> dict[str, dict[str, object]]:
    status = status_update(previous or {}, 1, outcome, now).status
    return {c["type"]: c for c in status["conditions"]}


def test_conditions_table() -> None:
    cases = [
        (
            Outcome(results=(_result(True),), targets=(("prod", "eu-west-1"),)),
            ("True", "Ready"),
            ("True", "ReconcileSucceeded"),
            ("True", "AllChecksCompliant"),
        ),
        (
            Outcome(results=(_result(False, Action.REMEDIATED),)),
            ("True", "Ready"),
            ("True", "ReconcileSucceeded"),
            ("True", "AllChecksCompliant"),
        ),
        (
            Outcome(results=(_result(False, Action.WOULD_REMEDIATE),)),
            ("False", "ChecksFailing"),
            ("True", "ReconcileSucceeded"),
            ("False", "ChecksFailing"),
        ),
        (
            Outcome(results=(_result(False, Action.FAILED),)),
            ("False", "ChecksFailing"),
            ("True", "ReconcileSucceeded"),
            ("False", "ChecksFailing"),
        ),
        (
            Outcome(errors=(CheckError("prod", "eu-west-1", "GuardDuty", "AccessDenied", "no"),)),
            ("False", "AccessDenied"),
            ("False", "AccessDenied"),
            ("Unknown", "ChecksNotEvaluated"),
        ),
        (
            Outcome(refusal=Refusal("AccountNotBound", "not yours")),
            ("False", "AccountNotBound"),
            ("False", "AccountNotBound"),
            ("Unknown", "NotEvaluated"),
        ),
    ]
    for outcome, ready, synced, compliant in cases:
        conditions = _conditions(outcome)
        got = [
            (conditions[t]["status"], conditions[t]["reason"])
            for t in ("Ready", "Synced", "Compliant")
        ]
        assert got == [ready, synced, compliant], outcome


def test_failing_message_counts_by_check() -> None:
    outcome = Outcome(
        results=(
            _result(False),
            _result(False, region="eu-central-1"),
            _result(False, check="logs.retention"),
            _result(True, check="logs.retention"),
        )
    )
    message = _conditions(outcome)["Compliant"]["message"]
    assert message == (
        "3 of 4 check result(s) not compliant: guardduty.detector_enabled (2), logs.retention (1)"
    )


def test_last_transition_time_moves_only_on_a_flip_and_events_only_on_transitions() -> None:
    good = Outcome(results=(_result(True),))
    bad = Outcome(results=(_result(False, Action.WOULD_REMEDIATE),))
    first = status_update({}, 1, good, T0)
    assert [(e.type, e.reason) for e in first.events] == [
        ("Normal", "Ready"),
        ("Normal", "ReconcileSucceeded"),
        ("Normal", "AllChecksCompliant"),
        ("Normal", "Permitted"),
    ]
    assert first.events[0].message.startswith("Ready Unknown -> True")

    same = status_update(first.status, 2, good, T1)
    assert same.events == []
    assert [c["lastTransitionTime"] for c in same.status["conditions"]] == [T0] * 4
    assert [c["observedGeneration"] for c in same.status["conditions"]] == [2] * 4

    flipped = status_update(same.status, 2, bad, T1)
    assert [(e.type, e.reason) for e in flipped.events] == [
        ("Warning", "ChecksFailing"),
        ("Warning", "ChecksFailing"),
    ]
    times = {c["type"]: c["lastTransitionTime"] for c in flipped.status["conditions"]}
    assert times == {"Ready": T1, "Synced": T0, "Compliant": T1, "Permitted": T0}
    assert not flipped.ready


def test_a_new_reason_without_a_flip_is_announced_but_keeps_the_transition_time() -> None:
    refused = status_update({}, 1, Outcome(refusal=Refusal("AccountNotFound", "gone")), T0)
    other = status_update(
        refused.status, 1, Outcome(refusal=Refusal("AccountNotBound", "not yours")), T1
    )
    ready = next(c for c in other.status["conditions"] if c["type"] == "Ready")
    assert ready["lastTransitionTime"] == T0
    assert ("Warning", "AccountNotBound") in [(e.type, e.reason) for e in other.events]


def test_summary_counts_and_is_bounded_worst_first() -> None:
    targets = tuple(("prod", f"r-{i:03d}") for i in range(MAX_SUMMARY_TARGETS + 50))
    results = (
        _result(False, region="r-249"),
        _result(True, region="r-000"),
        _result(False, Action.REMEDIATED, region="r-001"),
    )
    errors = (CheckError("prod", "r-100", "GuardDuty", "Throttled", "slow down"),)
    summary = status_update(
        {}, 1, Outcome(results=results, errors=errors, targets=targets), T0
    ).status["summary"]
    assert (
        summary["checks"],
        summary["compliant"],
        summary["nonCompliant"],
        summary["remediated"],
        summary["errors"],
    ) == (3, 2, 1, 1, 1)
    assert len(summary["targets"]) == MAX_SUMMARY_TARGETS
    assert [t["region"] for t in summary["targets"][:2]] == ["r-100", "r-249"]


def test_a_field_its_account_does_not_permit_is_a_condition_and_an_event_naming_it() -> None:
    field = "spec.instances.instanceProfile.additionalPolicyArns"
    denied = Outcome(
        results=(_result(True),),
        denials=(Denial("prod", field, "AdministratorAccess not permitted by AwsAccount prod"),),
    )
    update = status_update({}, 1, denied, T0)
    conditions = {c["type"]: c for c in update.status["conditions"]}
    assert conditions["Permitted"]["status"] == "False"
    assert conditions["Permitted"]["reason"] == "NotPermitted"
    assert field in conditions["Permitted"]["message"]
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == (
        "False",
        "NotPermitted",
    )
    assert not update.ready
    (event,) = [e for e in update.events if e.reason == "NotPermitted" and "Permitted" in e.message]
    assert event.type == "Warning"
    assert field in event.message


def _ready_reason(
    *results: CheckResult, enforce: bool = True, previous: dict[str, object] | None = None
) -> tuple[str, str, dict[str, object]]:
    outcome = Outcome(results=results, targets=(("prod", "eu-west-1"),))
    status = status_update(previous or {}, 1, outcome, T1, enforce=enforce).status
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    return ready["reason"], ready["message"], status


def test_under_enforce_what_no_repair_changes_is_not_repairable() -> None:
    audit = CheckResult(
        "cloudtrail.multi_region", "prod", "global", "", False, "no trail", not_repairable="audit"
    )
    reason, message, _ = _ready_reason(audit, _result(True))
    assert reason == "NotRepairable"
    assert message.endswith("cloudtrail.multi_region in prod/global: no trail (audit)")
    # Observe repairs nothing: failing checks stay ChecksFailing (Argo CD: Degraded anyway).
    assert _ready_reason(audit, enforce=False)[0] == "ChecksFailing"


def test_under_enforce_a_failed_repair_is_repair_failed() -> None:
    failed = _result(False, Action.FAILED)
    repairing = _result(False, Action.REMEDIATED)
    assert _ready_reason(failed, repairing)[0] == "RepairFailed"


def test_what_follows_from_a_repair_is_given_time_then_is_not_repairable() -> None:
    logs = _result(False, check="logs.ingestion_fresh")
    # No repair ever: logs that do not arrive wait on nothing.
    assert _ready_reason(logs)[0] == "NotRepairable"
    # This pass repaired something: what follows from it is under way.
    reason, _, status = _ready_reason(logs, _result(True, Action.REMEDIATED))
    assert (reason, status["lastRemediationTime"]) == ("ChecksFailing", T1)
    # Within 15 minutes of that repair, still under way; after, not repairable.
    assert _ready_reason(logs, previous={"lastRemediationTime": "2026-01-01T00:00:00Z"})[0] == (
        "ChecksFailing"
    )
    stale = {"lastRemediationTime": "2025-12-31T23:50:00Z"}
    reason, message, status = _ready_reason(logs, previous=stale)
    assert reason == "NotRepairable"
    assert "no repair in the last 15 min for it to follow from" in message
    assert status["lastRemediationTime"] == stale["lastRemediationTime"]
