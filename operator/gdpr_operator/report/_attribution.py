"""Who caused the drift a pass found, when AWS change events led to the pass: the Events
that name the principal, the call and how long the repair took, and the words a
component's condition adds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import GLOBAL_REGION, Action, CheckResult
from gdpr_operator.report._conditions import Event

DRIFT_REASON = "DriftDetected"


def drifted(outcome: Outcome, cause: DriftCause, checks: Sequence[str]) -> list[CheckResult]:
    """The results of the cause's component, in its account and region, that the pass
    found wrong (repaired or not)."""
    return [
        result
        for result in outcome.results
        if result.check in checks
        and result.account == cause.account
        and (cause.region == GLOBAL_REGION or result.region in (cause.region, GLOBAL_REGION))
        and (not result.compliant or result.action is not Action.NONE)
    ]


def seconds_since(cause: DriftCause, finished_at: float) -> float | None:
    """From the change (AWS's eventTime) to `finished_at`; None when the time is unreadable."""
    try:
        changed = datetime.fromisoformat(cause.event_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return max(0.0, finished_at - changed)


def attributed_events(
    outcome: Outcome, causes: Sequence[DriftCause], finished_at: float
) -> list[Event]:
    """One Warning Event per cause whose component the pass found drifted, naming who made
    the change and what the pass did about it."""
    checks = dict(outcome.components)
    events = []
    for cause in causes:
        found = drifted(outcome, cause, checks.get(cause.component, ()))
        if not found:
            continue
        first = found[0]
        resource = f" {first.resource}" if first.resource else ""
        elapsed = seconds_since(cause, finished_at)
        after = f" {elapsed:.1f} s after the change" if elapsed is not None else ""
        unrepaired = [result for result in found if result.action is not Action.REMEDIATED]
        if not unrepaired:
            done = f"repaired{after}"
        else:
            left = unrepaired[0]
            what = f"{left.check}{f' {left.resource}' if left.resource else ''}"
            done = f"reported{after}, not repaired ({what}: {left.action.value})"
        events.append(
            Event(
                type="Warning",
                reason=DRIFT_REASON,
                message=f"{cause.component} in {cause.account}/{cause.region}: {first.check}"
                f"{resource}: {first.reason}; changed {cause.describe()}; {done}",
            )
        )
    return events


def cause_note(
    outcome: Outcome, component: str, checks: Sequence[str], causes: Sequence[DriftCause]
) -> str:
    """What a component's condition message adds: who made the latest change found to have
    caused drift of it ("" when none did)."""
    for cause in reversed(causes):
        if cause.component == component and drifted(outcome, cause, checks):
            return f"; changed {cause.describe()}"
    return ""
