"""What one GdprMonitoring's metric series say after a pass: a pure function of the previous
state and the pass's outcome.

A series lives exactly as long as the monitoring covers what it is about: the next pass that
no longer evaluates an account, region, log group or check (the spec narrowed, a component
turned off) leaves it out. What a pass could not evaluate (an AWS error in that account and
region, credentials that failed, a refused pass) keeps its last evidence instead: an alert
must not resolve because the operator could not look. Ready and the last success timestamp
say that the evidence is getting old.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from gdpr_operator.engine import Outcome
from gdpr_operator.model import Action
from gdpr_operator.reconcilers.guardduty import GuardDuty
from gdpr_operator.reconcilers.log_groups import LogGroups

REMEDIATION_OUTCOMES = ("success", "failed")

CheckKey = tuple[str, str, str]
"""account, region, check."""
FindingKey = tuple[str, str, str]
"""account, region, severity."""
IngestionKey = tuple[str, str, str]
"""account, region, log group."""
ResultKey = tuple[str, str, str, str]
"""check, account, region, resource (`CheckResult.key`)."""

_Value = TypeVar("_Value")


@dataclass(frozen=True, slots=True)
class Tally:
    compliant: int
    non_compliant: int


@dataclass(frozen=True, slots=True)
class MonitoringSeries:
    """Everything one GdprMonitoring exports; counters are totals since the operator started
    (or since the check last came into coverage)."""

    ready: bool = False
    last_success: float | None = None
    checks: Mapping[CheckKey, Tally] = field(default_factory=dict)
    findings: Mapping[FindingKey, int] = field(default_factory=dict)
    ingestion: Mapping[IngestionKey, float] = field(default_factory=dict)
    drift: Mapping[str, int] = field(default_factory=dict)
    """Per check: results that turned non-compliant after having passed."""
    remediations: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """Per (check, outcome in REMEDIATION_OUTCOMES)."""
    passing: frozenset[ResultKey] = frozenset()
    """What passed at its last evaluation: drift is one of these found failing."""


def reconcile_result(outcome: Outcome) -> str:
    """success, error (some checks not evaluated) or refused (nothing attempted)."""
    if outcome.refusal is not None:
        return "refused"
    return "error" if outcome.errors else "success"


class _Unevaluated:
    """Which (account, region, component) scopes a pass could not evaluate."""

    def __init__(self, outcome: Outcome) -> None:
        self._everything = outcome.refusal is not None
        self._component_of = {
            check: component for component, checks in outcome.components for check in checks
        }
        self._components = {component for component, _ in outcome.components}
        # An error that is not about a component (credentials, the region list) is about the
        # whole account.
        self._accounts = {e.account for e in outcome.errors if e.component not in self._components}
        self._scopes = {(e.account, e.region, e.component) for e in outcome.errors}

    def of(self, check: str) -> str | None:
        """The component that ran `check` in this pass; None when none did."""
        return self._component_of.get(check)

    def __call__(self, account: str, region: str, component: str | None) -> bool:
        """Whether `component` (None: not run) kept its last evidence in account/region."""
        if self._everything:
            return True
        if component not in self._components:  # no longer covered
            return False
        return account in self._accounts or (account, region, component) in self._scopes


def next_series(
    previous: MonitoringSeries, outcome: Outcome, *, ready: bool, finished_at: float
) -> MonitoringSeries:
    """The series after a pass that ended at `finished_at` with `outcome`."""
    unevaluated = _Unevaluated(outcome)
    good = Counter((r.account, r.region, r.check) for r in outcome.results if r.passing)
    bad = Counter((r.account, r.region, r.check) for r in outcome.results if not r.passing)
    checks = {key: Tally(good[key], bad[key]) for key in good.keys() | bad.keys()}
    checks |= _kept(previous.checks, checks, unevaluated, lambda key: unevaluated.of(key[2]))
    findings = {(f.account, f.region, f.severity): f.count for f in outcome.findings}
    findings |= _kept(previous.findings, findings, unevaluated, lambda _: GuardDuty.component)
    ingestion = {
        (i.account, i.region, i.log_group): i.last_event_seconds
        for i in outcome.ingestion
        if i.last_event_seconds is not None
    }
    ingestion |= _kept(previous.ingestion, ingestion, unevaluated, lambda _: LogGroups.component)

    drift = Counter(
        result.check
        for result in outcome.results
        if not result.compliant and result.key in previous.passing
    )
    remediated = Counter(
        (result.check, "success" if result.action is Action.REMEDIATED else "failed")
        for result in outcome.results
        if result.action in (Action.REMEDIATED, Action.FAILED)
    )
    covered = {check for _, _, check in checks}
    passing = {result.key for result in outcome.results if result.passing}
    passing |= {
        key for key in previous.passing if unevaluated(key[1], key[2], unevaluated.of(key[0]))
    }
    return MonitoringSeries(
        ready=ready,
        last_success=(
            finished_at if reconcile_result(outcome) == "success" else previous.last_success
        ),
        checks=checks,
        findings=findings,
        ingestion=ingestion,
        drift={check: previous.drift.get(check, 0) + drift[check] for check in covered},
        remediations={
            (check, result): previous.remediations.get((check, result), 0)
            + remediated[check, result]
            for check in covered
            for result in REMEDIATION_OUTCOMES
        },
        passing=frozenset(passing),
    )


def _kept(
    previous: Mapping[tuple[str, str, str], _Value],
    current: Mapping[tuple[str, str, str], _Value],
    unevaluated: _Unevaluated,
    component_of: Callable[[tuple[str, str, str]], str | None],
) -> dict[tuple[str, str, str], _Value]:
    """The previous values (keyed account, region, ...) that this pass neither replaced nor
    could evaluate; `component_of` says which component produces each."""
    return {
        key: value
        for key, value in previous.items()
        if key not in current and unevaluated(key[0], key[1], component_of(key))
    }
