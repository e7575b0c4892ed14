"""kopf glue for AwsAccount status: each account is checked (`engine.check_account`) when the
operator first sees it and whenever its spec changes, and again every
`account_check_interval_seconds` (sooner while it fails: the Secret may appear, the trust
policy be fixed); its status says what the check found and which GdprMonitorings name it,
and each condition transition is an Event. The checker also acts, once, on an account moved from
events.mode Managed to Off: `status.eventsMode` says which mode it last acted on, and while
it says Managed under an Off spec, the check removes the operator's drift-event plumbing
(`engine.release_plumbing`) and records Off only once that succeeded (Event
DriftEventsReleased, or DriftEventsReleaseFailed and a retry at the next check). Kept in the
status, the mark survives a restart, and an Off account costs no EventBridge or SQS call.
The events hub likewise: the hub's account records `status.eventsHubRegion` while the
operator keeps the hub there, and once it no longer keeps it (flag removed or moved, or the
account's events Off; never under External, which writes nothing), its check removes the hub
(`engine.release_hub`) and clears the field only once that succeeded (Event
EventsHubReleased, or EventsHubReleaseFailed and a retry). Only the replica that checks the
account (the leader; in sharded mode its owner) does either.

No kopf change handler or timer serves AwsAccounts: kopf would write its annotations, or a
finalizer, onto an object that cluster administrators own, where the operator may write only
the status. A watch (`kopf.on.event`) tells the checker of each account; the checker is one
task for the operator's lifetime that writes status through the API and posts the Events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import kopf
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator import engine
from gdpr_operator.aws import Aws
from gdpr_operator.engine import ExternalIdReader, LiveMonitoring, PlumbingRelease
from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock
from gdpr_operator.handlers._config import ACCOUNTS, MONITORINGS, RESYNC_TICK_SECONDS
from gdpr_operator.handlers._schedule import jitter_factor, next_pass_after, now, rfc3339
from gdpr_operator.handlers._state import OperatorMemo
from gdpr_operator.model import (
    GROUP,
    VERSION,
    AwsAccountSpec,
    DriftEventsMode,
    EventsHub,
    SpecError,
    parse_aws_account,
)
from gdpr_operator.report import (
    EVENTS_HUB,
    EVENTS_HUB_REGION,
    EVENTS_MODE,
    Condition,
    Event,
    MonitoringRef,
    account_status_update,
    hub_condition_update,
    hub_event,
    hub_status,
    plumbing_event,
    plumbing_status,
    same_condition,
    used_by_status,
)

ACCOUNT_CHECKS_IN_FLIGHT = 4
"""Accounts checked at once: each check is an AssumeRole and a GetCallerIdentity."""

MonitoringIndex = kopf.Index[str, MonitoringRef]

logger = logging.getLogger(__name__)


def register(registry: kopf.OperatorRegistry) -> None:
    """This module's handlers, on `registry`."""
    kopf.index(GROUP, VERSION, MONITORINGS, registry=registry)(monitorings_by_account)
    kopf.on.event(GROUP, VERSION, ACCOUNTS, registry=registry)(account_seen)


def monitorings_by_account(
    namespace: str | None, name: str, spec: kopf.Spec, **_: Any
) -> dict[str, MonitoringRef]:
    """The GdprMonitorings that name each AwsAccount, kept from the watch stream."""
    accounts = spec.get("accounts") or []
    return {account: MonitoringRef(namespace or "", name) for account in accounts if account}


def account_seen(event: kopf.RawEvent, body: kopf.Body, memo: OperatorMemo, **_: Any) -> None:
    checks = memo.shared.running.account_checks
    name = body.metadata.name or ""
    if event.get("type") == "DELETED":
        checks.forget(name)
    else:
        checks.notice(name, body)


EVENTS_NAMESPACE = "default"
"""Where Events about cluster-scoped objects go: the API server accepts no other namespace
for an Event whose object has none (as for Nodes)."""


class AccountApi:
    """Writes AwsAccount status and posts their Events, through the Kubernetes API."""

    def __init__(self, api: client.ApiClient | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._custom = client.CustomObjectsApi(api)
        self._core = client.CoreV1Api(api)
        self._clock = clock

    async def write_status(self, name: str, status: Mapping[str, Any]) -> bool:
        """Patch `name`'s status; False when the account is gone."""
        try:
            # The kubernetes client is synchronous: keep it off the event loop.
            await asyncio.to_thread(
                self._custom.patch_cluster_custom_object_status,
                GROUP,
                VERSION,
                ACCOUNTS,
                name,
                {"status": dict(status)},
            )
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    async def post_event(self, name: str, uid: str, event: Event) -> None:
        """An Event about AwsAccount `name` (`kubectl describe awsaccount` shows it)."""
        moment = now(self._clock)
        body = client.CoreV1Event(
            metadata=client.V1ObjectMeta(generate_name=f"{name}."),
            involved_object=client.V1ObjectReference(
                api_version=f"{GROUP}/{VERSION}", kind="AwsAccount", name=name, uid=uid
            ),
            type=event.type,
            reason=event.reason,
            message=event.message,
            first_timestamp=moment,
            last_timestamp=moment,
            count=1,
            source=client.V1EventSource(component="gdpr-operator"),
            reporting_component="gdpr-operator",
        )
        await asyncio.to_thread(self._core.create_namespaced_event, EVENTS_NAMESPACE, body)


@dataclass
class _Account:
    """What the checker knows of one AwsAccount."""

    spec: AwsAccountSpec | None
    """None: the spec does not parse (the CRD's schema should have refused it)."""
    generation: int
    uid: str
    status: Mapping[str, Any]
    checked_generation: int | None = None
    checked_at: float = 0.0
    """The checker's clock's monotonic() at the last check by this process."""
    failures_in_a_row: int = 0
    jitter: float = field(default_factory=jitter_factor)
    used_by: Mapping[str, Any] | None = None
    """The `usedBy` part of the status as last written."""


class AccountChecks:
    """Checks every known AwsAccount when due, and keeps its status up to date."""

    def __init__(
        self,
        *,
        aws: Aws,
        read_external_id: ExternalIdReader,
        monitorings: MonitoringIndex,
        api: AccountApi,
        interval_seconds: float,
        owns: Callable[[str], bool] = lambda uid: True,
        live: Callable[[], Sequence[LiveMonitoring]] = tuple,
        clock: Clock = SYSTEM_CLOCK,
        events_hub: EventsHub | None = None,
    ) -> None:
        self._aws = aws
        self._events_hub = events_hub
        """The installation's events hub: an account leaving Managed keeps its queue, and
        loses its forwarder role too."""
        self._read_external_id = read_external_id
        self._monitorings = monitorings
        self._api = api
        self._interval = interval_seconds
        self._owns = owns
        """Sharded mode: each account is checked (and its status written) by its owner."""
        self._live = live
        """The live GdprMonitorings: where an account leaving Managed has plumbing."""
        self._clock = clock
        self._accounts: dict[str, _Account] = {}
        self._hub_conditions: dict[str, dict[str, Any]] = {}
        """The EventsHub condition this process last wrote, by AwsAccount: the checks keep
        it in the conditions they write."""
        self._checking: dict[str, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(ACCOUNT_CHECKS_IN_FLIGHT)
        self._wake = asyncio.Event()

    def notice(self, name: str, body: kopf.Body) -> None:
        """The account as the watch shows it now; a new spec is checked at once."""
        generation = int(body.metadata.get("generation") or 0)
        known = self._accounts.get(name)
        if known is None or known.generation != generation or known.uid != body.metadata.uid:
            try:
                spec: AwsAccountSpec | None = parse_aws_account(name, body.spec)
            except SpecError as error:
                logger.error("AwsAccount %s not checked: %s", name, error)
                spec = None
            fresh = _Account(spec, generation, body.metadata.uid or "", dict(body.status))
            if known is not None and known.uid == fresh.uid:
                fresh.used_by = known.used_by
            else:
                self._hub_conditions.pop(name, None)
            self._accounts[name] = fresh
            self._wake.set()
        else:
            known.status = dict(body.status)

    def forget(self, name: str) -> None:
        self._accounts.pop(name, None)
        self._hub_conditions.pop(name, None)
        task = self._checking.pop(name, None)
        if task is not None:
            task.cancel()

    async def run(self) -> None:
        """Until cancelled: each tick (or at once, when an account changed), start the checks
        that are due, and write usedBy where only that changed."""
        try:
            while True:
                await self._tick()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RESYNC_TICK_SECONDS):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            for task in self._checking.values():
                task.cancel()

    async def _tick(self) -> None:
        for name, known in list(self._accounts.items()):
            if known.spec is None or name in self._checking or not self._owns(known.uid):
                continue
            if self._due(known):
                self._checking[name] = asyncio.create_task(self._check(name, known))
            else:
                used_by = used_by_status(known.spec, self._used_by(name))
                if used_by != known.used_by:
                    try:
                        await self._write(name, known, used_by)
                    except ApiException as error:
                        logger.warning("AwsAccount %s: usedBy not written: %s", name, error.status)

    def _due(self, known: _Account) -> bool:
        if known.checked_generation != known.generation:
            return True
        interval = next_pass_after(self._interval, known.failures_in_a_row) * known.jitter
        return self._clock.monotonic() - known.checked_at >= interval

    async def _check(self, name: str, known: _Account) -> None:
        assert known.spec is not None
        generation = known.generation
        try:
            async with self._slots:
                check = await engine.check_account(known.spec, self._read_external_id, self._aws)
                plumbing = await self._release_plumbing(name, known)
                hub_release = await self._release_hub(name, known)
            if self._accounts.get(name) is not known or not self._owns(known.uid):
                return  # deleted, recreated or now another replica's meanwhile
            update = account_status_update(
                known.spec,
                known.status,
                check,
                generation=generation,
                used_by=self._used_by(name),
                now=rfc3339(now(self._clock)),
            )
            status = {
                **update.status,
                **plumbing_status(known.spec, plumbing),
                **self._hub_status(known, hub_release),
            }
            hub = self._hub_condition(name, known)
            if hub is not None:
                status["conditions"] = [*status["conditions"], hub]
            if not await self._write(name, known, status):
                return
            released = [] if plumbing is None else [plumbing_event(plumbing)]
            if hub_release is not None:
                released.append(hub_event(hub_release))
            for event in [*update.events, *released]:
                await self._api.post_event(name, known.uid, event)
            healthy = update.ready and not any(
                release is not None and release.errors for release in (plumbing, hub_release)
            )
            known.failures_in_a_row = 0 if healthy else known.failures_in_a_row + 1
        except ApiException as error:
            logger.warning("AwsAccount %s: status or Event not written: %s", name, error)
            known.failures_in_a_row += 1
        except Exception:  # one account's bug must not stop the others' checks
            logger.exception("AwsAccount %s: check failed", name)
            known.failures_in_a_row += 1
        finally:
            if self._checking.get(name) is asyncio.current_task():
                del self._checking[name]
            self._wake.set()  # a change noticed during the check is due now
        known.checked_generation = generation
        known.checked_at = self._clock.monotonic()
        known.jitter = jitter_factor()

    async def _release_plumbing(self, name: str, known: _Account) -> PlumbingRelease | None:
        """Under Off, when the status says the operator last acted on Managed: the
        operator's own plumbing removed where the GdprMonitorings bound to the account
        cover it. None otherwise (no call at all: Off costs no EventBridge or SQS call)."""
        assert known.spec is not None
        if known.spec.drift_events is not DriftEventsMode.OFF:
            return None
        if known.status.get(EVENTS_MODE) != DriftEventsMode.MANAGED.value:
            return None
        return await engine.release_plumbing(
            known.spec,
            self._live(),
            self._read_external_id,
            self._aws,
            unchanged=lambda: self._accounts.get(name) is known,
            events_hub=engine.resolved_hub(self._events_hub, self._spec_of),
        )

    def owns_account(self, name: str) -> bool:
        """Whether this replica acts for AwsAccount `name` (sharded mode: its owner; an
        account not seen yet goes by its name, so that exactly one replica still acts)."""
        known = self._accounts.get(name)
        return self._owns(known.uid if known is not None else name)

    async def report_hub(self, name: str, condition: Condition) -> None:
        """The EventsHub condition of the hub's AwsAccount `name`, written when it says
        something new, and an Event when its status or reason changed. Nothing while the
        account is unknown (or is another replica's)."""
        known = self._accounts.get(name)
        if known is None or known.spec is None or not self._owns(known.uid):
            return
        written = self._hub_condition(name, known)
        if same_condition(written, condition):
            return
        entry, event = hub_condition_update(
            written, condition, known.generation, rfc3339(now(self._clock))
        )
        _, others = _hub_and_others(known.status)
        if not await self._write(name, known, {"conditions": [*others, entry]}):
            return
        self._hub_conditions[name] = entry
        if event is not None:
            await self._api.post_event(name, known.uid, event)

    def _hub_condition(self, name: str, known: _Account) -> dict[str, Any] | None:
        """The EventsHub condition to keep: the one this process wrote, else, on the
        installation's hub, the one the status holds (written before a restart)."""
        if name in self._hub_conditions:
            return self._hub_conditions[name]
        if self._events_hub is None or self._events_hub.account != name:
            return None
        return _hub_and_others(known.status)[0]

    async def _release_hub(self, name: str, known: _Account) -> PlumbingRelease | None:
        """When the status records a hub in this account that is no longer the
        installation's: the operator's hub there removed. None otherwise (no call)."""
        assert known.spec is not None
        stale = engine.stale_hub(known.spec, known.status.get(EVENTS_HUB_REGION), self._events_hub)
        if stale is None:
            return None
        return await engine.release_hub(
            known.spec,
            stale,
            self._read_external_id,
            self._aws,
            unchanged=lambda: self._accounts.get(name) is known,
        )

    def _hub_status(self, known: _Account, release: PlumbingRelease | None) -> dict[str, Any]:
        assert known.spec is not None
        kept = engine.kept_hub_region(known.spec, self._events_hub)
        return hub_status(known.status.get(EVENTS_HUB_REGION), kept, release)

    def _spec_of(self, name: str) -> AwsAccountSpec | None:
        known = self._accounts.get(name)
        return known.spec if known is not None else None

    async def _write(self, name: str, known: _Account, status: Mapping[str, Any]) -> bool:
        if not await self._api.write_status(name, status):
            if self._accounts.get(name) is known:
                del self._accounts[name]  # gone: its watch event says so too
            return False
        assert known.spec is not None
        known.status = {**known.status, **status}
        known.used_by = used_by_status(known.spec, self._used_by(name))
        return True

    def _used_by(self, name: str) -> list[MonitoringRef]:
        return list(self._monitorings.get(name, ()))


def _hub_and_others(
    status: Mapping[str, Any],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A status's EventsHub condition (None when it has none) and its other conditions."""
    conditions = status.get("conditions") or []
    hub = next((c for c in conditions if c.get("type") == EVENTS_HUB), None)
    return hub, [c for c in conditions if c.get("type") != EVENTS_HUB]
