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
    component that applies to `spec`, or a target `previous` did not cover. With a cause's
    component run the components that depend on it (`knock_on`) where they apply to
    `spec`: an account-wide one on the account, a regional one in the cause's region, or in
    every region `previous` covered in the account when the change was account-wide."""
    if previous.refusal is not None:
        return None
    applying = {
        reconciler.component: reconciler
        for reconciler in reconcilers
        if reconciler.applies_to(spec)
    }
    covered = set(previous.targets)
    slices = set()
    for cause in causes:
        own = applying.get(cause.component)
        if own is None or cause.account not in spec.accounts:
            return None
        regions = sorted(region for account, region in covered if account == cause.account)
        if not regions or not (own.global_scope or cause.region in regions):
            return None
        for name, account_wide in knock_on(cause.component, reconcilers):
            if name not in applying:
                continue
            if applying[name].global_scope:
                slices.add(Slice(cause.account, GLOBAL_REGION, name))
            else:
                slices.update(
                    Slice(cause.account, region, name)
                    for region in (regions if account_wide else (cause.region,))
                )
    return frozenset(slices) or None


def knock_on(component: str, reconcilers: Sequence[Reconciler]) -> list[tuple[str, bool]]:
    """`component` and every component that depends on it (`depends_on`), directly or
    through others, each once: (name, whether the change reaches it account-wide, as it
    does past an account-wide component on the way, `component` included)."""
    by_name = {reconciler.component: reconciler for reconciler in reconcilers}
    reached: dict[str, bool] = {}
    pending = [(component, False)]
    while pending:
        name, account_wide = pending.pop()
        reconciler = by_name.get(name)
        account_wide = account_wide or (reconciler is not None and reconciler.global_scope)
        if reached.get(name, False) or (name in reached and not account_wide):
            continue
        reached[name] = account_wide
        pending += [
            (dependent.component, account_wide)
            for dependent in reconcilers
            if name in dependent.depends_on
        ]
    return list(reached.items())


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
