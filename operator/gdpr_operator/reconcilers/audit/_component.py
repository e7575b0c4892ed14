"""What the audit components share: one check each, observed and reported, never repaired.

They call read actions only, in Observe and Enforce alike: a non-compliant result carries
action `none`, not `would_remediate`, because no pass will ever change it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from gdpr_operator.aws import Target
from gdpr_operator.model import Action, CheckInfo, CheckResult, MonitoringSpec
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._base import ComponentReport, Context

COMPLIANT = "compliant"
OBSERVE_ONLY = "an observe-only audit check: reported, never changed"


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


class AuditComponent(ABC):
    """Base of the audit components: subclasses set `component` and `check`, and observe."""

    component: str
    check: CheckInfo
    global_scope = False
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
        verdicts = await self.observe(context, target)
        return ComponentReport(
            results=[
                CheckResult(
                    check=self.check.id,
                    account=target.account,
                    region=target.region,
                    resource=verdict.resource,
                    compliant=verdict.problem is None,
                    reason=verdict.problem or verdict.note,
                    action=Action.NONE,
                    not_repairable=OBSERVE_ONLY,
                )
                for verdict in verdicts
            ]
        )

    @abstractmethod
    async def observe(self, context: Context, target: Target) -> Sequence[Verdict]:
        """Read what the check is about and judge it, one verdict per resource."""

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Nothing was created, so there is nothing to remove."""
        return ComponentReport()
