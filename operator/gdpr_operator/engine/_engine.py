"""One reconcile pass: bind accounts, fan out over account x region x component, collect."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import cast

from gdpr_operator.aws import Aws, AwsError, Target, TargetOutcome, gather_outcomes
from gdpr_operator.engine._accounts import (
    CredentialsUnavailableError,
    ExternalIdReader,
    account_access,
)
from gdpr_operator.engine._tenancy import Refusal, bind_accounts
from gdpr_operator.model import (
    GLOBAL_REGION,
    AwsAccountSpec,
    CheckResult,
    Denial,
    DriftEventsMode,
    EventsHub,
    FindingCount,
    LogIngestion,
    MonitoringSpec,
    denials,
)
from gdpr_operator.reconcilers import (
    RECONCILERS,
    AwsWrites,
    ComponentReport,
    Context,
    Declaration,
    PassReads,
    Reconciler,
    WriteGuard,
    WriteRefusedError,
)
from gdpr_operator.reconcilers.drift_events import DriftEvents, plumbing_regions

logger = logging.getLogger(__name__)

TARGET_TIMEOUT_SECONDS = 120.0
"""One component in one region gets this long, counted from its turn; past it, that target
alone is an error."""


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
    targets: tuple[tuple[str, str], ...] = ()
    findings: tuple[FindingCount, ...] = ()
    ingestion: tuple[LogIngestion, ...] = ()
    released: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    """What a release left in place for another GdprMonitoring that still declares it."""
    denials: tuple[Denial, ...] = ()
    """What the spec asks beyond its AwsAccounts' permissions: not done."""
    components: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each component that ran, with its check ids: one condition each."""

    @property
    def non_compliant(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if not result.passing)


@dataclass(frozen=True, slots=True)
class LiveMonitoring:
    """A GdprMonitoring that exists and is not being deleted, as a release must respect it."""

    namespace: str
    name: str
    spec: MonitoringSpec

    @property
    def owner(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True, order=True)
class Slice:
    """One component in one account-region: the unit a targeted pass runs. A global
    component's slice is its account-wide target (region GLOBAL_REGION)."""

    account: str
    """The AwsAccount, by name."""
    region: str
    component: str
    """The reconciler's `component`."""

    def covers(self, account: str, region: str, component: str) -> bool:
        """Whether what `component` reports in `account`/`region` is this slice's: a global
        slice's component reports for the account as a whole, whatever region it names."""
        return (
            self.account == account
            and self.component == component
            and self.region in (GLOBAL_REGION, region)
        )


@dataclass(frozen=True, slots=True)
class Request:
    """What to reconcile, and with what."""

    namespace: str
    name: str
    spec: MonitoringSpec
    lookup_account: Callable[[str], AwsAccountSpec | None]
    """The AwsAccount of that name as the operator knows it now: asked again before every
    write, so that a withdrawn binding stops the writes at once."""
    read_external_id: ExternalIdReader
    aws: Aws
    live_monitorings: Callable[[], Sequence[LiveMonitoring]] = tuple
    """Every live GdprMonitoring (this one may be among them): what a release leaves alone
    because another one still declares it."""
    only: frozenset[Slice] | None = None
    """Run these slices alone (a targeted pass, see `merge_outcome`); None runs every
    component in every account-region."""
    events_hub: EventsHub | None = None
    """The installation's events hub (`--events-hub`), by AwsAccount name: where the
    drift events of every account-region are forwarded. None: a queue per account-region."""

    @property
    def owner(self) -> str:
        return f"{self.namespace}/{self.name}"


async def reconcile(request: Request, reconcilers: Sequence[Reconciler] = RECONCILERS) -> Outcome:
    """Run every applicable component for every bound account and region of the spec.

    Never raises: whatever goes wrong ends up in the outcome's errors, and a pass that
    checked nothing has an error too (NothingChecked): it is evidence of nothing. With
    `request.only`, just those slices run: the outcome is partial, to be merged into the
    last full one (`merge_outcome`), and an empty one is no error of its own."""
    try:
        outcome = await _fan_out(request, reconcilers, releasing=False)
    except Exception as error:
        logger.exception("the pass of %s failed", request.owner)
        return Outcome(errors=_everywhere(request, "InternalError", _described(error)))
    targeted = request.only is not None
    if outcome.refusal is None and not outcome.results and not outcome.errors and not targeted:
        return dataclasses.replace(
            outcome,
            errors=_everywhere(
                request, "NothingChecked", "no check applies: the spec asks for no component"
            ),
        )
    return outcome


def _everywhere(request: Request, reason: str, message: str) -> tuple[CheckError, ...]:
    """One error per account of the spec, for what went wrong in the pass as a whole."""
    return tuple(
        CheckError(account, GLOBAL_REGION, "Engine", reason, message)
        for account in request.spec.accounts
    )


def _described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


async def release(request: Request, reconcilers: Sequence[Reconciler] = RECONCILERS) -> Outcome:
    """deletionPolicy Delete: each component removes what it created for this owner and no
    other live GdprMonitoring still declares."""
    return await _fan_out(request, reconcilers, releasing=True)


async def _fan_out(
    request: Request, reconcilers: Sequence[Reconciler], *, releasing: bool
) -> Outcome:
    binding = bind_accounts(request.namespace, request.spec.accounts, request.lookup_account)
    if binding.refusal is not None:
        return Outcome(refusal=binding.refusal)
    components = [reconciler for reconciler in reconcilers if reconciler.applies_to(request.spec)]
    accounts = binding.accounts
    if request.only is not None:
        named = {item.component for item in request.only}
        components = [component for component in components if component.component in named]
        wanted = {item.account for item in request.only}
        accounts = tuple(account for account in accounts if account.name in wanted)
    others = _declarations(request)
    hub = resolved_hub(request.events_hub, request.lookup_account)
    reads = PassReads()
    # Full passes share the layer's turns (component x account x region targets in flight,
    # over all passes); waiting for a turn, not in flight, keeps memory and timeouts bounded
    # however many GdprMonitorings pass at once. A targeted pass (a few slices an AWS event
    # named) has turns of its own, so that a repair never queues behind a resync's sweep.
    aws = request.aws
    turns = (
        aws.target_turns
        if request.only is None
        else asyncio.Semaphore(aws.settings.targets_in_flight)
    )
    per_account = await asyncio.gather(
        *(
            _account(
                request,
                Context.of(
                    request.aws,
                    request.spec,
                    request.owner,
                    guard=_write_guard(request, account, releasing=releasing),
                    permissions=account.permissions,
                    others=others,
                    reads=reads,
                    drift_events=account.drift_events,
                    events_hub=hub,
                ),
                account,
                components=components,
                releasing=releasing,
                turns=turns,
            )
            for account in accounts
        )
    )
    reports = [report for account_reports, _ in per_account for report in account_reports]
    done = [report for report in reports if isinstance(report, ComponentReport)]
    return Outcome(
        results=tuple(result for report in done for result in report.results),
        errors=tuple(report for report in reports if isinstance(report, CheckError)),
        targets=tuple(target for _, targets in per_account for target in targets),
        findings=tuple(finding for report in done for finding in report.findings),
        ingestion=tuple(item for report in done for item in report.ingestion),
        released=tuple(item for report in done for item in report.released),
        kept=tuple(item for report in done for item in report.kept),
        denials=tuple(
            denial for account in binding.accounts for denial in denials(request.spec, account)
        ),
        components=tuple(
            (component.component, tuple(check.id for check in component.checks))
            for component in components
        ),
    )


def resolved_hub(
    hub: EventsHub | None, lookup_account: Callable[[str], AwsAccountSpec | None]
) -> EventsHub | None:
    """The hub with its AwsAccount's id (empty while the operator knows no AwsAccount of
    that name)."""
    if hub is None:
        return None
    account = lookup_account(hub.account)
    return dataclasses.replace(hub, account_id=account.account_id if account else "")


Work = Callable[[Reconciler, Context, Target], Awaitable[ComponentReport]]
_Key = tuple[Reconciler, Target]
"""What gather_outcomes runs a pass's work for: one component in one target."""


async def _reconcile_component(
    component: Reconciler, context: Context, target: Target
) -> ComponentReport:
    return await component.reconcile(context, target)


async def _release_component(
    component: Reconciler, context: Context, target: Target
) -> ComponentReport:
    return await component.release(context, target)


def _declarations(request: Request) -> tuple[Declaration, ...]:
    """The other live GdprMonitorings, with the account ids their AwsAccounts name (bound to
    their namespace or not: a declaration keeps what it names either way)."""
    found = []
    for live in request.live_monitorings():
        if live.owner == request.owner:
            continue
        accounts = (request.lookup_account(name) for name in live.spec.accounts)
        ids = frozenset(account.account_id for account in accounts if account is not None)
        found.append(Declaration(live.owner, ids, live.spec))
    return tuple(found)


def _write_guard(
    request: Request, account: AwsAccountSpec, *, releasing: bool, asked_by_account: bool = False
) -> WriteGuard:
    """Checked before every write into `account`: Observe writes nothing (a release acts as
    its deletionPolicy says; `asked_by_account`: what the AwsAccount itself asks for, see
    `_asked_by_account`), and nothing is written once the AwsAccount is no longer as the
    pass found it (unbound from the namespace, another role, another events.mode)."""

    def guard(target: Target) -> None:
        if not (request.spec.enforce or releasing or asked_by_account):
            raise WriteRefusedError(
                "ObserveOnly", f"managementPolicy Observe makes no write (in {target})"
            )
        refusal = _unchanged(request, account)
        if refusal is not None:
            raise WriteRefusedError(refusal.reason, refusal.message)

    return guard


def _asked_by_account(component: Reconciler, account: AwsAccountSpec) -> bool:
    """Whether the component's writes are the AwsAccount's decision, not the spec's: the
    drift-event plumbing under events.mode Managed, made whatever the managementPolicy of
    the GdprMonitorings covering the account. The one exception to Observe's no write."""
    return isinstance(component, DriftEvents) and account.drift_events is DriftEventsMode.MANAGED


def _runs_in(
    component: Reconciler, account: AwsAccountSpec, region: str, regions: Sequence[str]
) -> bool:
    """Whether the pass runs a regional component in `region`: one of the spec's, or, for
    the drift-event plumbing of an account whose events are consumed, a Region beyond them
    that it needs (IAM_EVENTS_REGION, for IAM's events: `plumbing_regions`)."""
    return region in regions or (
        isinstance(component, DriftEvents) and account.drift_events.consumed
    )


async def _account(
    request: Request,
    context: Context,
    account: AwsAccountSpec,
    *,
    components: Sequence[Reconciler],
    releasing: bool,
    turns: asyncio.Semaphore,
) -> tuple[list[ComponentReport | CheckError], tuple[tuple[str, str], ...]]:
    """The account's reports, each component's in each region or the error that stopped
    it, and the (account, region) targets the pass covered."""
    try:
        access = await account_access(account, request.read_external_id)
        regions = await request.aws.regions(access, request.spec.regions)
    except Exception as error:  # this account's pass ends here; the other accounts go on
        return [_access_error(account, error)], ()
    context = dataclasses.replace(context, regions=tuple(regions))
    if not regions:
        no_regions = CheckError(
            account.name,
            GLOBAL_REGION,
            "Regions",
            "NoRegions",
            f"no region to check: DescribeRegions lists no enabled region in account "
            f"{account.name}",
        )
        return [no_regions], ()
    # Account-wide components (IAM) first: regional ones may rely on what they create;
    # releasing goes the other way round. Then region by region, each region's components
    # together: they share that region's clients and pass-cache reads while those are fresh.
    work: Work = _release_component if releasing else _reconcile_component

    # The drift-event plumbing's writes, under Managed, have a guard of their own.
    by_account = dataclasses.replace(
        context,
        write=AwsWrites(
            request.aws,
            _write_guard(request, account, releasing=releasing, asked_by_account=True),
        ),
    )

    async def guarded(key: _Key) -> ComponentReport | CheckError:
        component, target = key
        return await _guarded(
            work,
            component,
            by_account if _asked_by_account(component, account) else context,
            target,
            unchanged=lambda: _unchanged(request, account),
        )

    reports: list[ComponentReport | CheckError] = []
    for phase in (False, True) if releasing else (True, False):
        outcomes = await gather_outcomes(
            [
                (component, Target(access, region))
                for region in ([GLOBAL_REGION] if phase else plumbing_regions(regions))
                for component in components
                if component.global_scope is phase
                and (phase or _runs_in(component, account, region, regions))
                and _wanted(request.only, account.name, region, component.component)
            ],
            guarded,
            timeout_per_target=TARGET_TIMEOUT_SECONDS,
            turns=turns,
        )
        reports += (_reported(outcome) for outcome in outcomes)
    return reports, tuple((account.name, region) for region in regions)


def _wanted(only: frozenset[Slice] | None, account: str, region: str, component: str) -> bool:
    """Whether a pass runs `component` in `account`/`region`: always, unless it is targeted
    at other slices."""
    return only is None or Slice(account, region, component) in only


def _access_error(account: AwsAccountSpec, error: Exception) -> CheckError:
    if isinstance(error, CredentialsUnavailableError):
        reason, message = "CredentialsUnavailable", str(error)
    elif isinstance(error, AwsError):
        reason, message = error.reason, str(error)
    else:
        logger.exception("reaching account %s failed", account.name)
        reason, message = "InternalError", _described(error)
    return CheckError(account.name, GLOBAL_REGION, "Credentials", reason, message)


def _unchanged(request: Request, account: AwsAccountSpec) -> Refusal | None:
    """None while `account` is as the pass found it; else why the pass must leave it alone."""
    if request.lookup_account(account.name) == account:
        return None
    refusal = bind_accounts(request.namespace, (account.name,), request.lookup_account).refusal
    return refusal or Refusal(
        "AccountChanged",
        f"AwsAccount {account.name} changed during the pass; the next pass acts on it as it is now",
    )


async def _guarded(
    work: Work,
    component: Reconciler,
    context: Context,
    target: Target,
    *,
    unchanged: Callable[[], Refusal | None],
) -> ComponentReport | CheckError:
    """The component's report for the target, or the error that stopped it; an AwsError
    or a timeout is left to gather_outcomes, as the target's error outcome. A target whose
    turn comes after its AwsAccount changed (unbound from the namespace, say) does nothing:
    the binding is checked again as each target starts, not only as the pass does."""
    if (refusal := unchanged()) is not None:
        return _target_error(component, target, refusal.reason, refusal.message)
    try:
        return await work(component, context, target)
    except WriteRefusedError as error:
        logger.info("%s in %s: write refused: %s", component.component, target, error.message)
        return _target_error(component, target, error.reason, error.message)
    except (AwsError, TimeoutError):
        raise
    except Exception as error:  # a bug in one component must not stop the others
        logger.exception("%s failed in %s", component.component, target)
        return _target_error(component, target, "InternalError", _described(error))


def _reported(
    outcome: TargetOutcome[_Key, ComponentReport | CheckError],
) -> ComponentReport | CheckError:
    """A target's outcome as the pass reports it: an AwsError (a timeout among them) is an
    error of that target's alone; the others complete."""
    if outcome.error is None:
        return cast(ComponentReport | CheckError, outcome.value)
    component, target = outcome.target
    logger.warning("%s in %s: %s", component.component, target, outcome.error)
    return _target_error(component, target, outcome.error.reason, str(outcome.error))


def _target_error(component: Reconciler, target: Target, reason: str, message: str) -> CheckError:
    return CheckError(target.account, target.region, component.component, reason, message)
