"""The frame every audit check is written in: one check each, read and judged, never repaired.

A check is one module, `_<check id>.py` (cloudtrail.multi_region in
`_cloudtrail_multi_region.py`): its CheckInfo, its pure rules, and its component, which
says what it reads (`observe`, read calls only, through the helpers of `_observe.py` where
checks share them) and how the rules judge that (`verdicts`, pure). The frame turns each
verdict into a `Delta` that nothing can repair and settles it: in Observe and Enforce alike a
non-compliant result carries action `none`, not `would_remediate`, because no pass will ever
change it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._base import ComponentReport, Context
from gdpr_operator.reconcilers._delta import Delta, settle_all

COMPLIANT = "compliant"
OBSERVE_ONLY = "an observe-only audit check: reported, never changed"

Observed = TypeVar("Observed")


@dataclass(frozen=True, slots=True)
class Verdict:
    """A pure rule's answer about one resource: `problem` None means compliant."""

    resource: str
    problem: str | None
    note: str = COMPLIANT
    """The reason given when compliant."""


def first_compliant(verdicts: Sequence[Verdict]) -> Verdict:
    """One verdict for several candidates (trails, recorders): any compliant one will do;
    else the first, with what is wrong with it."""
    return next((verdict for verdict in verdicts if verdict.problem is None), verdicts[0])


def delta(check: CheckInfo, verdict: Verdict) -> Delta:
    """A verdict as the one shape every component's diff has: observe-only, not repairable."""
    return Delta(
        verdict.resource,
        {check: verdict.problem},
        not_repairable=OBSERVE_ONLY,
        note=verdict.note,
    )


class AuditComponent(ABC, Generic[Observed]):
    """Base of the audit components: subclasses set `component` and `check`, read what the
    check is about (`observe`) and judge it (`verdicts`)."""

    component: str
    check: CheckInfo
    global_scope = False
    depends_on = frozenset[str]()
    """Most read only what the account's owner configures (see VpcFlowLogs)."""
    grants: Sequence[Grant] = ()
    """Observe only: no write at all."""

    @property
    def checks(self) -> Sequence[CheckInfo]:
        return (self.check,)

    @property
    def iam_actions(self) -> frozenset[str]:
        return self.check.iam_actions

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return self.check.id in spec.audit_checks

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        verdicts = self.verdicts(await self.observe(context, target), context.spec)
        deltas = [delta(self.check, verdict) for verdict in verdicts]
        return ComponentReport(
            results=await settle_all(context.write, target, deltas, enforce=context.spec.enforce)
        )

    @abstractmethod
    async def observe(self, context: Context, target: Target) -> Observed:
        """Read what the check is about: read calls only; a failed one (AccessDenied
        included) propagates as the AwsError, which the engine reports as the component's
        error for that target."""

    @abstractmethod
    def verdicts(self, observed: Observed, spec: MonitoringSpec) -> Sequence[Verdict]:
        """Judge what `observe` read, one verdict per resource. Pure."""

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Nothing was created, so there is nothing to remove."""
        return ComponentReport()
