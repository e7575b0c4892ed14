"""The status subresource and the Events to post, from one reconcile outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import SEVERITIES, Action, CheckResult
from gdpr_operator.report._attribution import attributed_events, cause_note
from gdpr_operator.report._conditions import (
    SETTLE_SECONDS,
    Condition,
    Event,
    Transition,
    conditions_for,
    merge_conditions,
)
from gdpr_operator.report._repairs import LateRepairs

MAX_SUMMARY_TARGETS = 200
"""Status stays bounded whatever the estate's size: counts, and at most this many targets."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    status: dict[str, Any]
    events: list[Event]
    ready: bool


def status_update(
    previous_status: Mapping[str, Any],
    generation: int,
    outcome: Outcome,
    now: str,
    *,
    enforce: bool = False,
    causes: Sequence[DriftCause] = (),
    finished_at: float = 0.0,
    late: LateRepairs | None = None,
) -> StatusUpdate:
    """The new status (conditions merged with the previous ones) and an Event per transition.

    `causes`: the AWS changes that led to this pass. The condition of each component they
    drifted names who made the change, and each gets an Event (`attributed_events`), with
    the seconds from the change to `finished_at`; `late`: causes an earlier pass already
    repaired the drift of, named the same way (`RecentRepairs.claimed_by`).

    `lastRemediationTime` is when a pass last repaired something: checks that follow from a
    repair are given SETTLE_SECONDS from then before Enforce calls them NotRepairable."""
    repaired = any(result.action is Action.REMEDIATED for result in outcome.results)
    last_remediation = now if repaired else previous_status.get("lastRemediationTime")
    current = conditions_for(
        outcome,
        enforce=enforce,
        settling=_within(last_remediation, now, SETTLE_SECONDS),
        notes={
            name: cause_note(outcome, name, checks, causes, late)
            for name, checks in outcome.components
        },
    )
    update = merged_update(
        previous_status,
        current,
        generation,
        now,
        fields={
            "lastReconcileTime": now,
            "summary": _summary(outcome),
            **({"lastRemediationTime": last_remediation} if last_remediation else {}),
        },
        ready=all(condition.healthy for condition in current),
    )
    update.events.extend(attributed_events(outcome, causes, finished_at, late))
    return update


def merged_update(
    previous_status: Mapping[str, Any],
    current: Sequence[Condition],
    generation: int,
    now: str,
    *,
    fields: Mapping[str, Any],
    ready: bool,
) -> StatusUpdate:
    """`current` merged with the previous status's conditions, `fields` beside them, and an
    Event per transition."""
    conditions, transitions = merge_conditions(
        previous_status.get("conditions") or [], current, generation, now
    )
    return StatusUpdate(
        status={"observedGeneration": generation, **fields, "conditions": conditions},
        events=[transition_event(transition) for transition in transitions],
        ready=ready,
    )


def _within(earlier: object, now: str, seconds: float) -> bool:
    """Whether the timestamp `earlier` (as status holds it) is less than `seconds` before
    `now`; False when it is absent or unreadable."""
    if not isinstance(earlier, str):
        return False
    try:
        elapsed = datetime.fromisoformat(now) - datetime.fromisoformat(earlier)
    except ValueError:
        return False
    return elapsed.total_seconds() < seconds


def _summary(outcome: Outcome) -> dict[str, Any]:
    # Every target is listed, even one without results yet.
    counts = {target: _zero_counts() for target in outcome.targets}
    for result in outcome.results:
        key = "compliant" if result.passing else "nonCompliant"
        counts.setdefault((result.account, result.region), _zero_counts())[key] += 1
    for error in outcome.errors:
        counts.setdefault((error.account, error.region), _zero_counts())["errors"] += 1
    worst_first = sorted(
        counts.items(), key=lambda item: (-item[1]["errors"], -item[1]["nonCompliant"], item[0])
    )
    return {
        **result_counts(outcome.results, errors=len(outcome.errors)),
        "findings": _findings(outcome),
        "targets": [
            {"account": account, "region": region, **target_counts}
            for (account, region), target_counts in worst_first[:MAX_SUMMARY_TARGETS]
        ],
    }


def result_counts(results: Sequence[CheckResult], *, errors: int) -> dict[str, int]:
    """checks, compliant, nonCompliant, remediated and errors: a summary's counts."""
    compliant = sum(1 for result in results if result.passing)
    return {
        "checks": len(results),
        "compliant": compliant,
        "nonCompliant": len(results) - compliant,
        "remediated": sum(1 for result in results if result.action is Action.REMEDIATED),
        "errors": errors,
    }


def _findings(outcome: Outcome) -> dict[str, int]:
    totals = dict.fromkeys(SEVERITIES, 0)
    for finding in outcome.findings:
        totals[finding.severity] += finding.count
    return totals


def _zero_counts() -> dict[str, int]:
    return {"compliant": 0, "nonCompliant": 0, "errors": 0}


def transition_event(transition: Transition) -> Event:
    """The Event announcing a condition's transition."""
    current = transition.current
    was = transition.previous.get("status") if transition.previous else "Unknown"
    change = current.status if was == current.status else f"{was} -> {current.status}"
    return Event(
        type="Normal" if current.healthy else "Warning",
        reason=current.reason,
        message=f"{current.type} {change}: {current.message}",
    )
