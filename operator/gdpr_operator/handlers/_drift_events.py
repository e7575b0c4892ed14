"""kopf glue for AWS change events (AwsAccount events.mode Managed or External): one task
polls the operator's queue in each account-region that passes of GdprMonitorings covered,
and in each of their accounts' IAM_EVENTS_REGION (IAM's events), and each event wakes, at
once, every GdprMonitoring bound to the account that covers its region (an IAM event: every
one bound to the account, IAM being account-wide).
With an events hub (`--events-hub`), one task polls the hub's one queue instead, whatever the
number of accounts and regions, and keeps the hub's plumbing (`engine.keep_hub`) as it goes,
reporting its health (the EventsHub condition, the gauge); sharded, only the owner of the hub's
AwsAccount polls it:
forwarded unchanged, each event still names its own account and region.

The wake is an annotation (`DRIFT_ANNOTATION`) the task sets on the GdprMonitoring: kopf
then runs its pass as for any change, and the pass takes the causes waiting for it from the
`DriftInbox` (in memory: an annotation set by anyone else wakes a pass and names nobody).
Sharded, the GdprMonitoring may be another replica's: the same patch then carries the causes
in a second annotation, signed (`_wake_causes`), and the owner's pass takes them from there;
the causes it carried are carried again for CARRY_SECONDS, so that a wake that overwrites
another before the owner saw it loses nothing (the owner counts each cause once).
Events from the operator's own role session are its repairs, not drift: dropped. A burst of
events for one GdprMonitoring is one wake per receive, and one pass; and a GdprMonitoring
woken less than `WAKE_SPACING_SECONDS` ago is woken again only when that much has passed,
once for every event that came meanwhile: a storm brings it at most one pass a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator import engine
from gdpr_operator.aws import Aws, Target
from gdpr_operator.engine import DriftCause, ExternalIdReader
from gdpr_operator.handlers import _wake_causes as wake_causes
from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock
from gdpr_operator.handlers._config import ERROR_RETRY_SECONDS, MONITORINGS
from gdpr_operator.handlers._wake_causes import CAUSES_ANNOTATION
from gdpr_operator.model import (
    ALL_REGIONS,
    GLOBAL_REGION,
    GROUP,
    VERSION,
    AwsAccountSpec,
    EventsHub,
    MonitoringSpec,
)
from gdpr_operator.report import Condition, hub_condition, metrics, receive_failed_condition

DRIFT_ANNOTATION = "drift-events.monitoring.gdpr.io/received"
"""Outside kopf's own annotation prefix, so that kopf sees its change as a change."""
HUB_UPKEEP_SECONDS = 300.0
"""How often the hub's plumbing is checked again (sooner when the member accounts change)."""
WAKE_SPACING_SECONDS = 1.0
"""The least time between two wakes of one GdprMonitoring."""
CARRY_SECONDS = 60.0
"""How long the causes carried to another replica's GdprMonitoring are carried again."""
NO_QUEUE_RETRY_SECONDS = 15.0
"""How soon a queue not there yet is looked for (Managed: its first Enforce pass has not made
it; External: the account's owner has not created the stack)."""

logger = logging.getLogger(__name__)

Key = tuple[str, str]
"""A GdprMonitoring: (namespace, name)."""


@dataclass
class DriftInbox:
    """The causes waiting for each GdprMonitoring's pass, and the account-regions (by
    AwsAccount name) whose queues are polled."""

    pending: dict[Key, list[DriftCause]] = field(default_factory=dict)
    watched: set[tuple[str, str]] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def watch(self, targets: Iterable[tuple[str, str]]) -> None:
        new = set(targets) - self.watched
        if new:
            self.watched |= new
            self.changed.set()

    def add(self, key: Key, cause: DriftCause) -> None:
        self.pending.setdefault(key, []).append(cause)

    def take(self, key: Key) -> list[DriftCause]:
        return self.pending.pop(key, [])


def covering(
    cause: DriftCause,
    accounts: Mapping[str, AwsAccountSpec],
    monitorings: Mapping[Key, MonitoringSpec],
) -> list[tuple[Key, DriftCause]]:
    """The GdprMonitorings a cause concerns, each with the cause named after the AwsAccount
    it knows the account by: bound to its namespace, Managed or External, covering its
    region."""
    found = []
    for key, spec in monitorings.items():
        for name in spec.accounts:
            account = accounts.get(name)
            if (
                account is None
                or account.account_id != cause.account_id
                or not account.drift_events.consumed
                or key[0] not in account.allowed_namespaces
            ):
                continue
            if (
                cause.region == GLOBAL_REGION
                or cause.region in spec.regions
                or (ALL_REGIONS in spec.regions)
            ):
                found.append((key, replace(cause, account=name)))
    return found


class MonitoringWaker:
    """Sets the wake annotation on a GdprMonitoring, through the Kubernetes API."""

    def __init__(self, api: client.ApiClient | None = None) -> None:
        self._custom = client.CustomObjectsApi(api)

    async def wake(self, key: Key, stamp: str, causes: str | None = None) -> None:
        """`stamp`: the wake's time; `causes`: the signed causes, for another replica."""
        annotations = {DRIFT_ANNOTATION: stamp}
        if causes is not None:
            annotations[CAUSES_ANNOTATION] = causes
        body = {"metadata": {"annotations": annotations}}
        await asyncio.to_thread(
            self._custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            key[0],
            MONITORINGS,
            key[1],
            body,
        )


def _own(key: Key) -> str | None:
    return None


class HubStatus(Protocol):
    """Which replica polls the hub, and where its health is written (`AccountChecks`: the
    owner of the hub's AwsAccount, which also writes that account's status)."""

    def owns_account(self, name: str) -> bool: ...

    async def report_hub(self, name: str, condition: Condition) -> None: ...


@dataclass
class DriftEventConsumer:
    """One poller per watched account-region, for the operator's lifetime; with an events
    hub, one poller of the hub's queue alone."""

    aws: Aws
    read_external_id: ExternalIdReader
    inbox: DriftInbox
    accounts: Callable[[], Mapping[str, AwsAccountSpec]]
    monitorings: Callable[[], Mapping[Key, MonitoringSpec]]
    waker: MonitoringWaker
    clock: Clock = SYSTEM_CLOCK
    hub: EventsHub | None = None
    hub_status: HubStatus | None = None
    """None: this replica polls the hub, and its health goes to the log and metrics only."""
    owner_elsewhere: Callable[[Key], str | None] = _own
    """Sharded mode: the uid of a GdprMonitoring that another replica owns (its wake carries
    the causes, signed with `wake_key`); None for this replica's own."""
    wake_key: bytes | None = field(default=None, repr=False)
    """Sharded mode's key; None: no wake carries causes."""
    carried: dict[Key, list[DriftCause]] = field(default_factory=dict)
    """The causes carried to each GdprMonitoring of another replica, for CARRY_SECONDS."""
    pollers: dict[tuple[str, str], asyncio.Task[None]] = field(default_factory=dict)
    woken_at: dict[Key, float] = field(default_factory=dict)
    """When each GdprMonitoring was last woken (monotonic)."""
    held: dict[Key, asyncio.Task[None]] = field(default_factory=dict)
    """The wakes waiting for WAKE_SPACING_SECONDS to pass."""

    async def run(self) -> None:
        if self.hub is not None:
            await self._poll_hub(self.hub)
            return
        try:
            while True:
                for target in self.inbox.watched - set(self.pollers):
                    self.pollers[target] = asyncio.create_task(
                        self._poll(*target), name=f"drift events {target[0]}/{target[1]}"
                    )
                self.inbox.changed.clear()
                await self.inbox.changed.wait()
        finally:
            tasks = [*self.pollers.values(), *self.held.values()]
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _poll(self, name: str, region: str) -> None:
        url: str | None = None
        while True:
            account = self.accounts().get(name)
            if account is None or not account.drift_events.consumed:
                self.inbox.watched.discard((name, region))
                self.pollers.pop((name, region), None)
                return
            try:
                access = await engine.account_access(account, self.read_external_id)
                if url is None:
                    url = await engine.queue_url(self.aws, Target(access, region))
                    if url is None:
                        await asyncio.sleep(NO_QUEUE_RETRY_SECONDS)
                        continue
                received = await engine.receive(
                    self.aws, access, region, url, now=self.clock.time()
                )
                await self._dispatch(received)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the queue may be gone, AWS unreachable: try again
                logger.warning("drift events of %s/%s: %s", name, region, error)
                url = None
                await asyncio.sleep(ERROR_RETRY_SECONDS)

    async def _poll_hub(self, hub: EventsHub) -> None:
        """The hub's queue, polled as long as the operator runs by the one replica that owns
        the hub's AwsAccount: its plumbing made first and kept every HUB_UPKEEP_SECONDS, or
        as soon as the member accounts change, or after an error; its health reported."""
        url: str | None = None
        kept: tuple[frozenset[str], float] | None = None
        while True:
            if self.hub_status is not None and not self.hub_status.owns_account(hub.account):
                metrics.forget_hub()  # another replica polls it, and exports its health
                url, kept = None, None
                await asyncio.sleep(NO_QUEUE_RETRY_SECONDS)
                continue
            try:
                accounts = self.accounts()
                members = engine.hub_members(accounts)
                if kept is None or kept[0] != members or self.clock.monotonic() >= kept[1]:
                    upkeep = await engine.keep_hub(hub, accounts, self.read_external_id, self.aws)
                    _log_upkeep(hub, upkeep)
                    await self._report_hub(hub, hub_condition(upkeep))
                    kept = (members, self.clock.monotonic() + HUB_UPKEEP_SECONDS)
                account = accounts.get(hub.account)
                if account is None:
                    await asyncio.sleep(NO_QUEUE_RETRY_SECONDS)
                    kept = None
                    continue
                access = await engine.account_access(account, self.read_external_id)
                if url is None:
                    url = await engine.queue_url(self.aws, Target(access, hub.region))
                    if url is None:
                        await asyncio.sleep(NO_QUEUE_RETRY_SECONDS)
                        kept = None
                        continue
                received = await engine.receive(
                    self.aws, access, hub.region, url, now=self.clock.time()
                )
                await self._dispatch(received)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the queue may be gone, AWS unreachable: try again
                logger.warning("drift events of the events hub %s: %s", hub, error)
                await self._report_hub(hub, receive_failed_condition(str(error)))
                url, kept = None, None
                await asyncio.sleep(ERROR_RETRY_SECONDS)

    async def _report_hub(self, hub: EventsHub, condition: Condition) -> None:
        metrics.record_hub(hub.account, hub.region, healthy=condition.healthy)
        if self.hub_status is None:
            return
        try:
            await self.hub_status.report_hub(hub.account, condition)
        except ApiException as error:  # written again when it next changes, or at a restart
            logger.warning("events hub %s: EventsHub condition not written: %s", hub, error)

    async def _dispatch(self, received: engine.Received) -> None:
        unreadable = received.messages - len(received.causes)
        if unreadable:
            metrics.drift_events_received.labels("", "ignored").inc(unreadable)
        accounts = self.accounts()
        own = {
            principal
            for account in accounts.values()
            if (principal := engine.own_principal(account)) is not None
        }
        woken: set[Key] = set()
        for cause in received.causes:
            if cause.principal in own:
                metrics.drift_events_received.labels(cause.component, "own_write").inc()
                continue
            concerned = covering(cause, accounts, self.monitorings())
            outcome = "acted" if concerned else "not_covered"
            metrics.drift_events_received.labels(cause.component, outcome).inc()
            for key, named in concerned:
                self.inbox.add(key, named)
                woken.add(key)
        for key in sorted(woken):
            if key in self.held:  # its held wake will take these causes too
                continue
            wait = self.woken_at.get(key, -math.inf) + WAKE_SPACING_SECONDS - self.clock.monotonic()
            if wait > 0:
                self.held[key] = asyncio.create_task(self._wake_later(key, wait))
            else:
                await self._wake(key)

    async def _wake_later(self, key: Key, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            self.held.pop(key, None)
        await self._wake(key)

    async def _wake(self, key: Key) -> None:
        self.woken_at[key] = self.clock.monotonic()
        now = self.clock.time()
        stamp = f"{now:.3f}"
        uid = self.owner_elsewhere(key) if self.wake_key is not None else None
        causes = None
        if self.wake_key is not None and uid is not None:
            recent = [
                cause
                for cause in self.carried.get(key, [])
                if cause.received_at >= now - CARRY_SECONDS
            ]
            carried = sorted(recent + self.inbox.take(key), key=lambda cause: cause.received_at)
            causes = wake_causes.encode(self.wake_key, uid, stamp, carried)
            self.carried[key] = carried[-wake_causes.MAX_CAUSES :]
            logger.info("drift events for %s/%s: its owner reconciles now", *key)
        else:
            self.carried.pop(key, None)
            logger.info("drift events for %s/%s: reconciling now", *key)
        try:
            await self.waker.wake(key, stamp, causes)
        except client.ApiException as error:  # deleted meanwhile: nothing to wake
            self.inbox.take(key)
            self.carried.pop(key, None)
            logger.info("could not wake %s/%s: %s", *key, error.reason)


def _log_upkeep(hub: EventsHub, upkeep: engine.HubUpkeep) -> None:
    if upkeep.error:
        logger.warning("events hub %s: %s", hub, upkeep.error)
    for result in upkeep.results:
        if not result.compliant:
            logger.warning("events hub %s: %s (%s)", hub, result.reason, result.action.value)
