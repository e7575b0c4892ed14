"""Conditions from an outcome, following the Kubernetes API conventions.

`lastTransitionTime` moves only when a condition's status flips; a transition is a change of
status or reason, and each one becomes exactly one Event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.engine import Outcome
from gdpr_operator.model import Action, CheckResult

READY = "Ready"
SYNCED = "Synced"
COMPLIANT = "Compliant"
PERMITTED = "Permitted"

SETTLE_SECONDS = 900
"""After a repair, the checks that follow from it (Systems Manager seeing the instance, the
agent installed by State Manager, its logs arriving) are given this long to pass."""


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str

    @property
    def healthy(self) -> bool:
        return self.status == "True"


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    """Normal or Warning."""
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Transition:
    """A condition whose status or reason changed; `previous` is None when it is new."""

    previous: Mapping[str, Any] | None
    current: Condition


def synced_condition(outcome: Outcome) -> Condition:
    if outcome.refusal is not None:
        return Condition(SYNCED, "False", outcome.refusal.reason, outcome.refusal.message)
    if outcome.errors:
        first = outcome.errors[0]
        return Condition(
            SYNCED,
            "False",
            first.reason,
            f"{len(outcome.errors)} check(s) could not be evaluated; first: {first.component} "
            f"in {first.account}/{first.region}: {first.message}",
        )
    accounts = {account for account, _ in outcome.targets}
    return Condition(
        SYNCED,
        "True",
        "ReconcileSucceeded",
        f"Evaluated {len(outcome.results)} check(s) across {len(accounts)} account(s) and "
        f"{len(outcome.targets)} account-region(s)",
    )


def compliant_condition(
    outcome: Outcome, *, enforce: bool = False, settling: bool = False
) -> Condition:
    """Compliant, and under Enforce whether the failing results are being repaired.

    Under Enforce the reason says which way a failure goes: `ChecksFailing` while repairs
    are under way, `RepairFailed` when a repair was tried and failed, `NotRepairable` when
    nothing the operator writes brings a result to compliance: it is so by nature or by the
    spec (`CheckResult.not_repairable`), or it waits on nothing, no repair having been made
    within SETTLE_SECONDS (`settling` False) for it to follow from (logs that do not arrive).
    """
    if outcome.refusal is not None:
        return Condition(COMPLIANT, "Unknown", "NotEvaluated", "Nothing was checked")
    failing = outcome.non_compliant
    if failing:
        by_check = Counter(result.check for result in failing)
        worst = ", ".join(f"{check} ({count})" for check, count in by_check.most_common(5))
        message = f"{len(failing)} of {len(outcome.results)} check result(s) not compliant: {worst}"
        if enforce:
            failed = [result for result in failing if result.action is Action.FAILED]
            if failed:
                return Condition(
                    COMPLIANT,
                    "False",
                    "RepairFailed",
                    f"{message}. Repairs that failed {_listed(failed, _reason)}",
                )
            stuck = [result for result in failing if _not_repairable(result, settling)]
            if stuck:
                return Condition(
                    COMPLIANT,
                    "False",
                    "NotRepairable",
                    f"{message}. Not repairable by the operator {_listed(stuck, _why_stuck)}",
                )
        return Condition(COMPLIANT, "False", "ChecksFailing", message)
    if outcome.errors:
        return Condition(
            COMPLIANT,
            "Unknown",
            "ChecksNotEvaluated",
            f"{len(outcome.errors)} check(s) could not be evaluated",
        )
    return Condition(
        COMPLIANT,
        "True",
        "AllChecksCompliant",
        f"All {len(outcome.results)} check result(s) compliant",
    )


def _not_repairable(result: CheckResult, settling: bool) -> bool:
    return bool(result.not_repairable) or (result.action is Action.NONE and not settling)


def _why_stuck(result: CheckResult) -> str:
    why = result.not_repairable or (
        f"no repair in the last {SETTLE_SECONDS // 60} min for it to follow from"
    )
    return f"{result.reason} ({why})"


def _reason(result: CheckResult) -> str:
    return result.reason


def _listed(results: Sequence[CheckResult], why: Callable[[CheckResult], str]) -> str:
    shown = "; ".join(
        f"{r.check} in {r.account}/{r.region}{f' {r.resource}' if r.resource else ''}: {why(r)}"
        for r in results[:3]
    )
    more = f" (and {len(results) - 3} more)" if len(results) > 3 else ""
    return f"({len(results)}): {shown}{more}"


def permitted_condition(outcome: Outcome) -> Condition:
    """Whether everything the spec asks is permitted by its AwsAccounts (admin-owned); what
    is not was not done, and each refused field is named."""
    if outcome.refusal is not None:
        return Condition(PERMITTED, "Unknown", "NotEvaluated", "Nothing was checked")
    if outcome.denials:
        return Condition(
            PERMITTED,
            "False",
            "NotPermitted",
            "; ".join(f"{denial.field}: {denial.message}" for denial in outcome.denials),
        )
    return Condition(
        PERMITTED, "True", "Permitted", "The AwsAccounts permit everything the spec asks"
    )


def ready_condition(*conditions: Condition) -> Condition:
    """Ready: the monitoring is in force (Synced), the estate compliant, and everything the
    spec asks permitted (in that order: Ready's message is Compliant's)."""
    for condition in conditions:
        if not condition.healthy:
            return Condition(READY, "False", condition.reason, condition.message)
    return Condition(READY, "True", "Ready", conditions[1].message)


def component_condition(
    outcome: Outcome, component: str, checks: tuple[str, ...], note: str = ""
) -> Condition:
    """One component (GuardDuty, ...): its errors, failures and repairs in this pass; `note`
    ends the message of one evaluated (who caused the drift: a compliant one's, when an
    earlier pass repaired it before the change's event arrived)."""
    errors = [error for error in outcome.errors if error.component == component]
    if errors:
        return Condition(
            component,
            "False",
            errors[0].reason,
            f"{len(errors)} target(s) not evaluated; first: {errors[0].account}/"
            f"{errors[0].region}: {errors[0].message}",
        )
    results = [result for result in outcome.results if result.check in checks]
    failing = [result for result in results if not result.passing]
    if failing:
        return Condition(
            component, "False", "ChecksFailing", _describe(failing, len(results)) + note
        )
    repaired = [result for result in results if result.action is Action.REMEDIATED]
    if repaired:
        return Condition(
            component,
            "True",
            "Remediated",
            f"Repaired {_describe(repaired, len(results))}{note}",
        )
    return Condition(
        component, "True", "Compliant", f"All {len(results)} check result(s) compliant{note}"
    )


def _describe(results: Sequence[CheckResult], total: int) -> str:
    shown = "; ".join(f"{r.check} in {r.account}/{r.region}: {r.reason}" for r in results[:3])
    more = f" (and {len(results) - 3} more)" if len(results) > 3 else ""
    return f"{len(results)} of {total}: {shown}{more}"


def conditions_for(
    outcome: Outcome,
    *,
    enforce: bool = False,
    settling: bool = False,
    notes: Mapping[str, str] | None = None,
) -> list[Condition]:
    """`notes`: what each component's condition adds (by component)."""
    synced = synced_condition(outcome)
    compliant = compliant_condition(outcome, enforce=enforce, settling=settling)
    permitted = permitted_condition(outcome)
    components = [
        component_condition(outcome, name, checks, (notes or {}).get(name, ""))
        for name, checks in outcome.components
    ]
    return [
        ready_condition(synced, compliant, permitted),
        synced,
        compliant,
        permitted,
        *components,
    ]


def merge_conditions(
    previous: Sequence[Mapping[str, Any]],
    current: Sequence[Condition],
    generation: int,
    now: str,
) -> tuple[list[dict[str, Any]], list[Transition]]:
    """The new `status.conditions` list, and the transitions to announce."""
    by_type = {condition.get("type"): condition for condition in previous}
    merged: list[dict[str, Any]] = []
    transitions: list[Transition] = []
    for condition in current:
        before = by_type.get(condition.type) or {}
        flipped = before.get("status") != condition.status
        if flipped or before.get("reason") != condition.reason:
            transitions.append(Transition(before or None, condition))
        merged.append(
            {
                "type": condition.type,
                "status": condition.status,
                "observedGeneration": generation,
                "lastTransitionTime": before.get("lastTransitionTime", now) if not flipped else now,
                "reason": condition.reason,
                "message": condition.message,
            }
        )
    return merged, transitions
