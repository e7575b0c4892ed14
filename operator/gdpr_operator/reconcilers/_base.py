"""What every component reconciler provides: observe, compute a pure diff, apply only that."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from gdpr_operator.aws import Aws, Target
from gdpr_operator.model import (
    ALL_REGIONS,
    CheckInfo,
    CheckResult,
    DriftEventsMode,
    EventsHub,
    FindingCount,
    LogIngestion,
    MonitoringSpec,
    TenantPermissions,
)
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._access import AwsReads, AwsWrites, WriteGuard, refuse_in_observe

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

NOTHING_PERMITTED = TenantPermissions()
"""An AwsAccount's default: nothing beyond the operator's own resources."""


@dataclass(frozen=True)  # not slots: a generic alias sets __orig_class__ on its instances
class PassRead(Generic[K, V]):
    """A kind of read that the components of a pass share, typed by its key and value: the
    selected instances of a region, an instance profile, a role's attached policies."""

    name: str


class PassReads:
    """Reads shared by a pass's targets and components: each kind's read runs once per key
    per pass, however many ask for it concurrently. Reads only: writes made once per pass go
    through `AwsWrites.once`."""

    def __init__(self) -> None:
        self._tasks: dict[tuple[str, Hashable], asyncio.Future[Any]] = {}

    async def once(self, kind: PassRead[K, V], key: K, read: Callable[[], Awaitable[V]]) -> V:
        """What `read` returns, run only by the first to ask for `key` in this pass."""
        task = self._tasks.get((kind.name, key))
        if task is None:
            task = self._tasks[(kind.name, key)] = asyncio.ensure_future(read())
        value: V = await asyncio.shield(task)
        return value

    def known(self, kind: PassRead[K, V], key: K, value: V) -> None:
        """Records what a component just read (and left unchanged) for `key`, unless the pass
        read it already: the others reuse it instead of reading again."""
        if (kind.name, key) not in self._tasks:
            future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._tasks[(kind.name, key)] = future


@dataclass(frozen=True, slots=True)
class Declaration:
    """Another live GdprMonitoring, as a release must respect it: what it still declares."""

    owner: str
    """"namespace/name"."""
    account_ids: frozenset[str]
    """The AWS account ids of the AwsAccounts it names (those that exist)."""
    spec: MonitoringSpec

    def covers(self, account_id: str, region: str) -> bool:
        """Whether it acts in that account and region (every region for ["*"])."""
        return account_id in self.account_ids and (
            region in self.spec.regions or ALL_REGIONS in self.spec.regions
        )


@dataclass(frozen=True, slots=True)
class Context:
    """What a reconcile pass knows about one account besides its target."""

    aws: AwsReads
    """Read calls only."""
    write: AwsWrites
    """Every write call, each checked by the pass's guard before it goes out."""
    spec: MonitoringSpec
    owner: str
    """The GdprMonitoring as "namespace/name", tagged on everything the operator creates."""
    permissions: TenantPermissions = NOTHING_PERMITTED
    """What the AwsAccount lets this GdprMonitoring have done beyond the operator's own."""
    others: Sequence[Declaration] = ()
    """The other live GdprMonitorings: what a release must leave in place for them, and
    the Regions of theirs that the drift-event plumbing serves."""
    reads: PassReads = field(default_factory=PassReads)
    """Reads shared by the pass's targets (an IAM role read once, not once per region)."""
    regions: Sequence[str] = ()
    """The account's regions the pass covers, resolved by the engine (["*"] made concrete):
    what an account-wide component acts on in every region."""
    drift_events: DriftEventsMode = DriftEventsMode.OFF
    """The AwsAccount's events.mode: whether its change events are delivered to the
    operator, through what the operator provisions."""
    events_hub: EventsHub | None = None
    """The installation's events hub (its account resolved): where the account-region's
    drift events are forwarded instead of to a queue of its own. None: no hub."""

    def next_pass(self) -> Context:
        """This context for another pass: its own pass-scoped reads and once-only writes."""
        return replace(self, write=self.write.fresh(), reads=PassReads())

    @classmethod
    def of(
        cls,
        aws: Aws,
        spec: MonitoringSpec,
        owner: str,
        *,
        guard: WriteGuard | None = None,
        permissions: TenantPermissions = NOTHING_PERMITTED,
        others: Sequence[Declaration] = (),
        reads: PassReads | None = None,
        drift_events: DriftEventsMode = DriftEventsMode.OFF,
        regions: Sequence[str] = (),
        events_hub: EventsHub | None = None,
    ) -> Context:
        """A context over `aws`; without a `guard`, writes go out in Enforce only."""
        return cls(
            aws=AwsReads(aws),
            write=AwsWrites(aws, guard or refuse_in_observe(spec.enforce)),
            spec=spec,
            owner=owner,
            permissions=permissions,
            others=others,
            reads=reads or PassReads(),
            drift_events=drift_events,
            regions=regions,
            events_hub=events_hub,
        )


@dataclass(frozen=True, slots=True)
class ComponentReport:
    """One component's findings for one target."""

    results: Sequence[CheckResult] = ()
    findings: Sequence[FindingCount] = ()
    ingestion: Sequence[LogIngestion] = ()
    released: Sequence[str] = ()
    """What a release removed, described for people."""
    kept: Sequence[str] = ()
    """What a release left in place although this owner created it, and why."""


def declared_actions(checks: Sequence[CheckInfo], *extra: frozenset[str]) -> frozenset[str]:
    """A component's IAM actions: its checks' and any of its own (findings, release)."""
    return frozenset[str]().union(*(check.iam_actions for check in checks), *extra)


class Reconciler(Protocol):
    """A component (GuardDuty, instance profiles, ...): its checks and how to run them."""

    @property
    def component(self) -> str:
        """CamelCase name, used as the component's condition type."""

    @property
    def checks(self) -> Sequence[CheckInfo]:
        """The checks it reports, with their GDPR articles and IAM actions."""

    @property
    def iam_actions(self) -> frozenset[str]:
        """Every IAM action it calls: its checks' and any of its own (findings, release)."""

    @property
    def grants(self) -> Sequence[Grant]:
        """How far AWS should allow its writes: each write action of `iam_actions` with the
        resources and condition it is scoped to (reads are allowed on any resource)."""

    @property
    def global_scope(self) -> bool:
        """True when it runs once per account (region GLOBAL_REGION), not once per region."""

    @property
    def depends_on(self) -> frozenset[str]:
        """The components whose writes it reads (by `component`): a change to what one of
        them manages can change what this one finds, so a targeted pass that runs one of
        them runs this one too."""

    def applies_to(self, spec: MonitoringSpec) -> bool:
        """Whether this spec asks for the component at all."""

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        """Observe, diff and (in Enforce mode) apply; one result per check and resource."""

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """deletionPolicy Delete: remove only what the operator created for this owner."""
