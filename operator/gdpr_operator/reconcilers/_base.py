"""What every component reconciler provides: observe, compute a pure diff, apply only that."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gdpr_operator.model import AwsAccountSpec, CheckInfo, CheckResult, MonitoringSpec


@dataclass(frozen=True, slots=True)
class Target:
    """One account in one region (GLOBAL_REGION for account-wide services such as IAM)."""

    account: AwsAccountSpec
    external_id: str | None
    region: str


class Reconciler(Protocol):
    """A component (GuardDuty, instance profiles, ...): its checks and how to run them."""

    @property
    def component(self) -> str:
        """CamelCase name, used as the component's condition type."""

    @property
    def checks(self) -> Sequence[CheckInfo]:
        """The checks it reports, with their GDPR articles and IAM actions."""

    @property
    def global_scope(self) -> bool:
        """True when it runs once per account (region GLOBAL_REGION), not once per region."""

    def applies_to(self, spec: MonitoringSpec) -> bool:
        """Whether this spec asks for the component at all."""

    async def reconcile(self, target: Target, spec: MonitoringSpec) -> Sequence[CheckResult]:
        """Observe, diff and (in Enforce mode) apply; one result per check and resource."""
