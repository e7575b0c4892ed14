"""Sharded mode: each replica holds a membership Lease; objects go to the live members by
rendezvous hashing of their UID.

The protocol, and why no object is acted on by two replicas at once:

- Every `renew_every` a member renews its own Lease (a compare-and-swap on its
  resourceVersion: a Lease deleted or changed by anyone else ends the membership) and then
  lists every member's Lease. A cycle counts from the moment it started.
- A member acts only while its last successful cycle started less than `renew_deadline`
  ago (shorter than the lease duration): a replica cut off from the API server stops
  acting on everything, its passes under way cancelled at that deadline (not when its
  failing calls give up, which client retries can put after the Lease could pass), and
  `on_lost` stops the process.
- Another member counts as gone once this replica's own successful lists have shown the
  same renewTime for `duration` (its monotonic clock, not the writer's wall clock): by
  then the silent member had no successful renewal for longer than its own deadline, so it
  has stopped acting.
- A member acts on nothing before it has been a member for `duration`: by then every
  member that still acts has listed the newcomer's Lease (their view is younger than
  their deadline), computes the same owners, and has cancelled its passes over the
  objects the newcomer wins.

A replica therefore acts on an object only while it is that object's rendezvous owner
among every member it knows, and the Leases in the API server are the only record of who
that is.

Time is read from the Clock given to the Membership (the system's by default): its cycles'
starts, the deadline, the newcomer's wait, the renewTime and acquireTime it writes. The
waits between cycles and join attempts are real ones.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock, utc_now
from gdpr_operator.handlers._leadership import LEASE_API_ERRORS, describe_error
from gdpr_operator.handlers._rendezvous import owner

logger = logging.getLogger(__name__)

MEMBER_LABEL = "monitoring.gdpr.io/shard-member"
"""On every membership Lease; the members list each other by it."""
LEASE_PREFIX = "gdpr-operator-shard-"


@dataclass(frozen=True, slots=True)
class ShardSettings:
    namespace: str
    identity: str
    duration_seconds: float = 15.0
    """A member silent this long is gone, and a newcomer waits this long before acting."""

    @property
    def renew_deadline_seconds(self) -> float:
        """A member that has not completed a cycle for this long acts on nothing."""
        return self.duration_seconds * 2 / 3

    @property
    def renew_every_seconds(self) -> float:
        return self.duration_seconds / 7.5

    @property
    def request_timeout_seconds(self) -> float:
        """Each call's own limit: a hung API server must not hold a cycle past the deadline."""
        return self.renew_deadline_seconds / 2

    @property
    def lease_name(self) -> str:
        return LEASE_PREFIX + self.identity


@dataclass
class MemberView:
    """The members as this replica's successful lists have shown them (pure: time is
    passed in), and since when each one's renewTime has stood still."""

    silent_after_seconds: float
    _seen: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Identity -> (its renewTime as listed, when this replica first listed that value)."""
    _listed_at: float = 0.0

    def observe(self, renewals: dict[str, str], listed_at: float) -> None:
        """A successful list, started at `listed_at`: identity -> renewTime."""
        self._seen = {
            identity: previous
            if (previous := self._seen.get(identity)) is not None and previous[0] == renewed
            else (renewed, listed_at)
            for identity, renewed in renewals.items()
        }
        self._listed_at = listed_at

    def live(self) -> frozenset[str]:
        return frozenset(
            identity
            for identity, (_, since) in self._seen.items()
            if self._listed_at - since < self.silent_after_seconds
        )

    def long_gone(self) -> frozenset[str]:
        """Members silent for twice the lease duration: their Leases are garbage."""
        return frozenset(
            identity
            for identity, (_, since) in self._seen.items()
            if self._listed_at - since >= 2 * self.silent_after_seconds
        )


class Membership:
    """This replica's membership Lease and its view of the others."""

    def __init__(
        self,
        settings: ShardSettings,
        api: client.CoordinationV1Api,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self._api = api
        self._clock = clock
        self._lock = threading.Lock()
        self._view = MemberView(settings.duration_seconds)
        self._members: frozenset[str] = frozenset()
        self._joined_at: float | None = None
        self._last_cycle: float | None = None
        self._lease: client.V1Lease | None = None
        self._stopped = threading.Event()

    def owns(self, uid: str) -> bool:
        """Whether this replica may act on the object with `uid` now."""
        now = self._clock.monotonic()
        with self._lock:
            if self._joined_at is None or self._last_cycle is None:
                return False
            if now - self._joined_at < self.settings.duration_seconds:
                return False  # every other member must have seen us first
            if now - self._last_cycle >= self.settings.renew_deadline_seconds:
                return False  # our view may be older than a newcomer's wait
            return owner(uid, self._members) == self.settings.identity

    def seconds_to_deadline(self) -> float:
        """How long this replica may still act without another successful cycle (0: it
        acts on nothing now)."""
        with self._lock:
            if self._last_cycle is None:
                return 0.0
            left = self._last_cycle + self.settings.renew_deadline_seconds - self._clock.monotonic()
            return max(0.0, left)

    @property
    def members(self) -> frozenset[str]:
        with self._lock:
            return self._members

    def join(self) -> None:
        """Create this replica's Lease (its identity is new for each process), retrying
        while the API server does not answer."""
        while True:
            try:
                self._create()
                break
            except LEASE_API_ERRORS as error:
                logger.warning(
                    "Lease %s not created (%s); retrying",
                    self.settings.lease_name,
                    describe_error(error),
                )
                time.sleep(self.settings.renew_every_seconds)
        logger.info(
            "Shard member %s (Lease %s/%s); acting in %.0fs",
            self.settings.identity,
            self.settings.namespace,
            self.settings.lease_name,
            self.settings.duration_seconds,
        )

    def _create(self) -> None:
        now = utc_now(self._clock)  # first: we act no sooner than acquireTime + duration
        started = self._clock.monotonic()
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(
                name=self.settings.lease_name,
                namespace=self.settings.namespace,
                labels={MEMBER_LABEL: "true"},
            ),
            spec=client.V1LeaseSpec(
                holder_identity=self.settings.identity,
                acquire_time=now,
                renew_time=now,
                lease_duration_seconds=math.ceil(self.settings.duration_seconds),
            ),
        )
        timeout = self.settings.request_timeout_seconds
        try:
            self._lease = self._api.create_namespaced_lease(
                self.settings.namespace, body, _request_timeout=timeout
            )
        except ApiException as error:
            if error.status != 409:
                raise
            # An earlier attempt that timed out did create it: ours (the name is unique).
            self._lease = self._api.read_namespaced_lease(
                self.settings.lease_name, self.settings.namespace, _request_timeout=timeout
            )
            assert self._lease.spec is not None
            if self._lease.spec.holder_identity != self.settings.identity:
                raise
            started = self._clock.monotonic()  # its acquireTime is older: wait from now on
        with self._lock:
            self._joined_at = started

    def cycle(self) -> bool:
        """Renew our Lease, then list every member's; False when our Lease is no longer
        ours (deleted or changed by another). Raises LEASE_API_ERRORS on a failed call."""
        assert self._lease is not None
        assert self._lease.spec is not None
        started = self._clock.monotonic()
        timeout = self.settings.request_timeout_seconds
        if not self._renew(timeout):
            return False
        listed = self._api.list_namespaced_lease(
            self.settings.namespace, label_selector=MEMBER_LABEL, _request_timeout=timeout
        )
        renewals = {
            lease.spec.holder_identity: str(lease.spec.renew_time)
            for lease in listed.items
            if lease.spec is not None and lease.spec.holder_identity
        }
        with self._lock:
            self._view.observe(renewals, started)
            members = self._view.live() | {self.settings.identity}
            changed, self._members = members != self._members, members
            self._last_cycle = started
            garbage = self._view.long_gone() - {self.settings.identity}
        if changed:
            logger.info("Shard members now: %s", ", ".join(sorted(members)))
        for identity in garbage:
            self._delete_gone(identity, listed.items)
        return True

    def _renew(self, timeout: float) -> bool:
        """Write our Lease's renewTime; False when it is no longer ours (deleted, or held by
        another). On a conflict the Lease is read once: only this process writes it (the
        others delete a gone member's, on its resourceVersion), so unless its holder changed,
        an earlier renewal of ours whose answer timed out moved it on: renew from it."""
        lease = self._lease
        for reread in (False, True):
            assert lease is not None
            assert lease.spec is not None
            lease.spec.renew_time = utc_now(self._clock)
            try:
                self._lease = self._api.replace_namespaced_lease(
                    self.settings.lease_name,
                    self.settings.namespace,
                    lease,
                    _request_timeout=timeout,
                )
                return True
            except ApiException as error:
                if error.status not in (404, 409):
                    raise
                if error.status == 404 or reread:
                    return False
            lease = self._api.read_namespaced_lease(
                self.settings.lease_name, self.settings.namespace, _request_timeout=timeout
            )
            if lease.spec is None or lease.spec.holder_identity != self.settings.identity:
                return False
        return False  # not reached: the second pass returns

    def _delete_gone(self, identity: str, leases: list[client.V1Lease]) -> None:
        """Delete a dead member's Lease, if nobody renewed it since we listed it."""
        for lease in leases:
            if lease.spec is None or lease.spec.holder_identity != identity:
                continue
            if lease.metadata is None or not lease.metadata.name:
                continue
            try:
                self._api.delete_namespaced_lease(
                    lease.metadata.name,
                    self.settings.namespace,
                    body=client.V1DeleteOptions(
                        preconditions=client.V1Preconditions(
                            resource_version=lease.metadata.resource_version
                        )
                    ),
                    _request_timeout=self.settings.request_timeout_seconds,
                )
                logger.info("Deleted the Lease of gone member %s", identity)
            except LEASE_API_ERRORS as error:
                logger.debug("Lease of %s not deleted: %s", identity, describe_error(error))

    def keep(self, on_change: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Cycle in a background thread; `on_change` after each successful cycle,
        `on_lost` once (and stop) when the membership ended or a cycle overran the
        deadline."""

        def loop() -> None:
            while not self._stopped.wait(self.settings.renew_every_seconds):
                try:
                    if self.cycle():
                        on_change()
                        continue
                    logger.error("Lease %s is no longer ours", self.settings.lease_name)
                except LEASE_API_ERRORS as error:
                    with self._lock:
                        last = self._last_cycle or 0.0
                    silent = self._clock.monotonic() - last
                    deadline = self.settings.renew_deadline_seconds
                    if silent + self.settings.renew_every_seconds < deadline:
                        logger.warning("Lease renewal failed (%s); retrying", describe_error(error))
                        continue
                    logger.error("Lease not renewed for %.1fs (%s)", silent, describe_error(error))
                with self._lock:
                    self._last_cycle = None  # act on nothing from now on
                on_lost()
                return

        threading.Thread(target=loop, name="gdpr-shard-lease", daemon=True).start()

    def leave(self) -> None:
        """Stop cycling and delete our Lease, so that the others take our objects at once.
        Call it only once this replica no longer acts."""
        self._stopped.set()
        with self._lock:
            self._last_cycle = None
        if self._lease is None:
            return
        try:
            self._api.delete_namespaced_lease(
                self.settings.lease_name,
                self.settings.namespace,
                _request_timeout=self.settings.request_timeout_seconds,
            )
        except LEASE_API_ERRORS as error:
            logger.warning(
                "Lease %s not deleted: %s", self.settings.lease_name, describe_error(error)
            )
