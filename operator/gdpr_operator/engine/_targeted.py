"""Targeted passes: what AWS change events name, run alone and merged into the last full
outcome, so that an event costs the calls of its component in its account-region only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from gdpr_operator.engine._drift_events import DriftCause
from gdpr_operator.engine._engine import Outcome, Slice
from gdpr_operator.model import GLOBAL_REGION, Action, CheckResult, MonitoringSpec
from gdpr_operator.reconcilers import RECONCILERS, Reconciler
from gdpr_operator.reconcilers.guardduty import GuardDuty
from gdpr_operator.reconcilers.log_groups import LogGroups


def slices_for(
    causes: Iterable[DriftCause],
    spec: MonitoringSpec,
    previous: Outcome,
    reconcilers: Sequence[Reconciler] = RECONCILERS,
) -> frozenset[Slice] | None:
    """The slices that the causes name (the same slice once however many name it), for a
    pass to run alone after `previous`, a pass of the same spec; None when a full pass is
    needed instead: no cause, a previous pass that was refused, or a cause that names no
    component that applies to `spec`, or a target `previous` did not cover. A cause's
    further components (`also`) run with its own where they apply to `spec`."""
    if previous.refusal is not None:
        return None
    applying = {
        reconciler.component: reconciler
        for reconciler in reconcilers
        if reconciler.applies_to(spec)
    }
    covered = set(previous.targets)
    accounts = {account for account, _ in covered}
    slices = set()
    for cause in causes:
        if cause.component not in applying or cause.account not in spec.accounts:
            return None
        for name in (cause.component, *(also for also in cause.also if also in applying)):
            if applying[name].global_scope:
                if cause.account not in accounts:
                    return None
                slices.add(Slice(cause.account, GLOBAL_REGION, name))
            else:
                if (cause.account, cause.region) not in covered:
                    return None
                slices.add(Slice(cause.account, cause.region, name))
    return frozenset(slices) or None


def merge_outcome(previous: Outcome, partial: Outcome, slices: frozenset[Slice]) -> Outcome:
    """`previous` (a full outcome) with what `partial` (a pass of `slices` alone) found in
    place of what `previous` found in those slices: their results, errors, GuardDuty
    findings and log ingestion. The rest is as `previous` found it, with its repairs
    settled: `action` is what this pass did, and it repaired nothing there. A refused
    partial pass is refused as a whole, as a full pass would be."""
    if partial.refusal is not None:
        return partial
    component_of = {
        check: component
        for component, checks in (*previous.components, *partial.components)
        for check in checks
    }

    def ran(account: str, region: str, component: str | None) -> bool:
        return component is not None and any(
            item.covers(account, region, component) for item in slices
        )

    return dataclasses.replace(
        previous,
        results=(
            *(
                _settled(result)
                for result in previous.results
                if not ran(result.account, result.region, component_of.get(result.check))
            ),
            *partial.results,
        ),
        errors=(
            *(
                error
                for error in previous.errors
                if not ran(error.account, error.region, error.component)
            ),
            *partial.errors,
        ),
        findings=(
            *(
                finding
                for finding in previous.findings
                if not ran(finding.account, finding.region, GuardDuty.component)
            ),
            *partial.findings,
        ),
        ingestion=(
            *(
                item
                for item in previous.ingestion
                if not ran(item.account, item.region, LogGroups.component)
            ),
            *partial.ingestion,
        ),
        released=partial.released,
        kept=partial.kept,
    )


def _settled(result: CheckResult) -> CheckResult:
    """A result an earlier pass found, as it stands now: what that pass repaired is
    compliant, and nothing was done about it since."""
    if result.action is Action.REMEDIATED:
        return dataclasses.replace(result, compliant=True, action=Action.NONE)
    return result
