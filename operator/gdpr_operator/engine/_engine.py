"""One reconcile pass: bind accounts, fan out over account x region x component, collect."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from gdpr_operator.engine._tenancy import Refusal, bind_accounts
from gdpr_operator.model import (
    ALL_REGIONS,
    GLOBAL_REGION,
    AwsAccountSpec,
    CheckResult,
    MonitoringSpec,
    SecretRef,
)
from gdpr_operator.reconcilers import RECONCILERS, Reconciler, Target

logger = logging.getLogger(__name__)

ExternalIdReader = Callable[[SecretRef], Awaitable[str]]
"""Reads an AwsAccount's ExternalId from its Secret; raises CredentialsUnavailableError."""


class CredentialsUnavailableError(Exception):
    """The ExternalId (or another credential input) of an account cannot be read."""


@dataclass(frozen=True, slots=True)
class CheckError:
    """A component that could not be evaluated for one account and region."""

    account: str
    region: str
    component: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one pass learnt. `refusal` set means nothing was attempted."""

    refusal: Refusal | None = None
    results: tuple[CheckResult, ...] = ()
    errors: tuple[CheckError, ...] = ()
    targets: tuple[tuple[str, str], ...] = field(default=())

    @property
    def non_compliant(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if not result.passing)


async def reconcile(
    namespace: str,
    spec: MonitoringSpec,
    lookup_account: Callable[[str], AwsAccountSpec | None],
    read_external_id: ExternalIdReader,
    reconcilers: Sequence[Reconciler] = RECONCILERS,
) -> Outcome:
    """Run every applicable component for every bound account and region of `spec`."""
    binding = bind_accounts(namespace, spec.accounts, lookup_account)
    if binding.refusal is not None:
        return Outcome(refusal=binding.refusal)
    components = [reconciler for reconciler in reconcilers if reconciler.applies_to(spec)]
    per_account = await asyncio.gather(
        *(_reconcile_account(account, spec, components, read_external_id)
          for account in binding.accounts)
    )
    return Outcome(
        results=tuple(result for outcome in per_account for result in outcome.results),
        errors=tuple(error for outcome in per_account for error in outcome.errors),
        targets=tuple(target for outcome in per_account for target in outcome.targets),
    )


async def _reconcile_account(
    account: AwsAccountSpec,
    spec: MonitoringSpec,
    components: Sequence[Reconciler],
    read_external_id: ExternalIdReader,
) -> Outcome:
    secret = account.assume_role.external_id_secret if account.assume_role else None
    try:
        external_id = await read_external_id(secret) if secret else None
    except CredentialsUnavailableError as error:
        return Outcome(errors=(
            CheckError(account.name, GLOBAL_REGION, "Credentials", "CredentialsUnavailable",
                       str(error)),
        ))
    regions = list(spec.regions)
    if regions == [ALL_REGIONS]:
        regions = []  # resolved per account once the AWS layer is in place
    runs = [
        (Target(account, external_id, GLOBAL_REGION if component.global_scope else region),
         component)
        for component in components
        for region in ([GLOBAL_REGION] if component.global_scope else regions)
    ]
    settled = await asyncio.gather(
        *(component.reconcile(target, spec) for target, component in runs),
        return_exceptions=True,
    )
    results: list[CheckResult] = []
    errors: list[CheckError] = []
    for (target, component), outcome in zip(runs, settled, strict=True):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, Exception):
                raise outcome
            errors.append(_as_error(target, component, outcome))
        else:
            results.extend(outcome)
    return Outcome(
        results=tuple(results),
        errors=tuple(errors),
        targets=tuple((account.name, region) for region in regions),
    )


def _as_error(target: Target, component: Reconciler, error: Exception) -> CheckError:
    # A failing target must not fail the others: it becomes an error result of its own.
    logger.warning("%s failed for %s/%s: %s", component.component, target.account.name,
                   target.region, error, exc_info=not hasattr(error, "reason"))
    return CheckError(
        account=target.account.name,
        region=target.region,
        component=component.component,
        reason=getattr(error, "reason", "InternalError"),
        message=str(error),
    )
