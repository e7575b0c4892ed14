"""Who caused the drift a pass found, when AWS change events led to the pass: the Events
that name the principal, the call and how long the repair took, and the words a
component's condition adds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import GLOBAL_REGION, Action, CheckResult
from gdpr_operator.report._conditions import Event

if TYPE_CHECKING:
    from gdpr_operator.report._repairs import Repair

DRIFT_REASON = "DriftDetected"


def drifted(outcome: Outcome, cause: DriftCause, checks: Sequence[str]) -> list[CheckResult]:
    """The results of the cause's component, in its account and region, that the pass
    found wrong (repaired or not)."""
    return [
        result
        for result in outcome.results
        if concerns(cause, checks, result.check, result.account, result.region)
        and (not result.compliant or result.action is not Action.NONE)
    ]


def concerns(
    cause: DriftCause, checks: Sequence[str], check: str, account: str, region: str
) -> bool:
    """Whether a result of `check` in `account`/`region` is of the cause's component there
    (an account-wide cause concerns every region; an account-wide check, every cause)."""
    return (
        check in checks
        and account == cause.account
        and (cause.region == GLOBAL_REGION or region in (cause.region, GLOBAL_REGION))
    )


def changed_at(cause: DriftCause) -> float | None:
    """The change's time (AWS's eventTime, seconds since the epoch); None when unreadable."""
    try:
        return datetime.fromisoformat(cause.event_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def seconds_since(cause: DriftCause, finished_at: float) -> float | None:
    """From the change to `finished_at`; None when the time is unreadable."""
    changed = changed_at(cause)
    return None if changed is None else max(0.0, finished_at - changed)


def attributed_events(
    outcome: Outcome,
    causes: Sequence[DriftCause],
    finished_at: float,
    late: Mapping[DriftCause, Repair] | None = None,
) -> list[Event]:
    """One Warning Event per cause whose component the pass found drifted, naming who made
    the change and what the pass did about it; or, for a cause in `late`, that an earlier
    pass repaired it before its event arrived."""
    checks = dict(outcome.components)
    events = []
    for cause in causes:
        found = drifted(outcome, cause, checks.get(cause.component, ()))
        unrepaired = [result for result in found if result.action is not Action.REMEDIATED]
        if late and cause in late:
            events.append(_repaired_before(cause, late[cause], unrepaired))
            continue
        if not found:
            continue
        first = found[0]
        resource = f" {first.resource}" if first.resource else ""
        elapsed = seconds_since(cause, finished_at)
        after = f" {elapsed:.1f} s after the change" if elapsed is not None else ""
        if not unrepaired:
            done = f"repaired{after}"
        else:
            done = f"reported{after}, {_not_repaired(unrepaired[0])}"
        events.append(
            Event(
                type="Warning",
                reason=DRIFT_REASON,
                message=f"{cause.component} in {cause.account}/{cause.region}: {first.check}"
                f"{resource}: {first.reason}; changed {cause.describe()}; {done}",
            )
        )
    return events


def _not_repaired(left: CheckResult) -> str:
    what = f"{left.check}{f' {left.resource}' if left.resource else ''}"
    return f"not repaired ({what}: {left.action.value})"


def _repaired_before(cause: DriftCause, repair: Repair, unrepaired: Sequence[CheckResult]) -> Event:
    """The Event of a change an earlier pass set back before its event arrived; `unrepaired`:
    what this pass found of the component and left (other drift)."""
    resource = f" {repair.resource}" if repair.resource else ""
    elapsed = seconds_since(cause, repair.finished_at)
    after = f" {elapsed:.1f} s after the change" if elapsed is not None else ""
    left = f"; {_not_repaired(unrepaired[0])}" if unrepaired else ""
    return Event(
        type="Warning",
        reason=DRIFT_REASON,
        message=f"{cause.component} in {cause.account}/{cause.region}: {repair.check}"
        f"{resource}: {repair.reason}; changed {cause.describe()}; repaired{after} "
        f"(by the pass before this event arrived){left}",
    )


def cause_note(
    outcome: Outcome,
    component: str,
    checks: Sequence[str],
    causes: Sequence[DriftCause],
    late: Mapping[DriftCause, Repair] | None = None,
) -> str:
    """What a component's condition message adds: who made the latest change found to have
    caused drift of it, in this pass or in an earlier one (`late`); "" when none did."""
    for cause in reversed(causes):
        if cause.component == component and (
            drifted(outcome, cause, checks) or (late is not None and cause in late)
        ):
            return f"; changed {cause.describe()}"
    return ""
