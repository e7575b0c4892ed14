"""What an object's recent passes repaired, so that a change's event arriving after another
pass (brought by another cause, or a resync) already set it back still names who made it:
in real AWS, CloudTrail's events come minutes late."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import Action
from gdpr_operator.report._attribution import changed_at, concerns, drifted

REPAIRS_KEPT_SECONDS = 15 * 60
"""How long a repair waits for the event of the change it set back (CloudTrail's delay)."""
MAX_REPAIRS = 200
"""The most kept per object (the newest): memory stays bounded whatever an estate does."""


@dataclass(frozen=True, slots=True)
class Repair:
    """One result a pass repaired, with its wall-clock end."""

    account: str
    region: str
    check: str
    resource: str
    reason: str
    finished_at: float


@dataclass(frozen=True, slots=True)
class RecentRepairs:
    """The repairs of an object's recent passes that no cause was attributed yet."""

    repairs: tuple[Repair, ...] = ()

    def fresh(self, now: float) -> RecentRepairs:
        """Without those that finished more than REPAIRS_KEPT_SECONDS before `now`."""
        return RecentRepairs(
            tuple(r for r in self.repairs if now - r.finished_at <= REPAIRS_KEPT_SECONDS)
        )

    def claimed_by(
        self, outcome: Outcome, causes: Sequence[DriftCause]
    ) -> dict[DriftCause, Repair]:
        """For each cause whose component this pass repaired nothing of (it may find other
        drift there, left unrepaired: logs yet to arrive), the earliest repair of that
        component (its checks, account and region) that finished after the change: what set
        it back before its event came. A repair goes to one cause only."""
        checks = dict(outcome.components)
        claimed: dict[DriftCause, Repair] = {}
        for cause in causes:
            component_checks = checks.get(cause.component, ())
            changed = changed_at(cause)
            found = drifted(outcome, cause, component_checks)
            if (
                changed is None
                or cause in claimed
                or any(result.action is Action.REMEDIATED for result in found)
            ):
                continue
            taken = claimed.values()
            candidates = [
                repair
                for repair in self.repairs
                if repair not in taken
                and repair.finished_at >= changed  # one before the change set back another
                and concerns(cause, component_checks, repair.check, repair.account, repair.region)
            ]
            if candidates:
                claimed[cause] = min(candidates, key=lambda repair: repair.finished_at)
        return claimed

    def after_pass(
        self,
        outcome: Outcome,
        causes: Sequence[DriftCause],
        finished_at: float,
        claimed: Collection[Repair] = (),
    ) -> RecentRepairs:
        """Without the `claimed` ones, with what this pass repaired that none of its own
        causes accounts for (those named the principal already), newest MAX_REPAIRS kept."""
        checks = dict(outcome.components)
        own = {
            id(result)
            for cause in causes
            for result in drifted(outcome, cause, checks.get(cause.component, ()))
        }
        new = tuple(
            Repair(r.account, r.region, r.check, r.resource, r.reason, finished_at)
            for r in outcome.results
            if r.action is Action.REMEDIATED and id(r) not in own
        )
        kept = tuple(r for r in self.repairs if r not in claimed) + new
        return RecentRepairs(kept[-MAX_REPAIRS:])


LateRepairs = Mapping[DriftCause, Repair]
"""Causes attributed to a repair an earlier pass made (`RecentRepairs.claimed_by`)."""
