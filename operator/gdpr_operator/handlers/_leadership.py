"""Leader election on a coordination.k8s.io Lease: of several replicas, one acts.

The others wait (answering their liveness probe) until the leader's lease expires. A leader
that cannot renew within its renew deadline (shorter than the lease) stops at once, so that
two never act together; Kubernetes restarts it as a standby. An unreachable API server is a
failed renewal like any other.

Time is read from the Clock given to the Lease (the system's by default): the renewTime and
acquireTime it writes, whether another holder's Lease has expired, and how long renewals
have failed. The waits between attempts are real sleeps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock, utc_now

# What a Lease call raises when the API server answers with an error or not at all.
LEASE_API_ERRORS = (ApiException, HTTPError, OSError)

logger = logging.getLogger(__name__)

LEASE_NAME = "gdpr-operator"


def lease_api(configuration: client.Configuration | None = None) -> client.CoordinationV1Api:
    """The coordination API for the operator's Leases (the default configuration's API
    server), each call made once: the client does not retry it.

    A renewal is a compare-and-swap: retried after an attempt that did reach the API server,
    it meets its own write as a conflict, and the replica takes its Lease for lost. Retries
    also multiply a call's timeout (four attempts), so a replica cut off from the API server
    would learn it later than its deadline. Its callers try again at their own pace."""
    configuration = configuration or client.Configuration.get_default_copy()
    configuration.retries = False
    return client.CoordinationV1Api(client.ApiClient(configuration))


@dataclass(frozen=True, slots=True)
class LeaseSettings:
    namespace: str
    identity: str
    duration_seconds: int = 15
    """A leader silent this long is presumed gone."""
    renew_deadline_seconds: float = 10.0
    """A leader that has not renewed for this long stops acting: before its lease can expire
    in the others' eyes (clocks and the last renewal's latency eat the difference)."""
    renew_every_seconds: float = 2.0
    """Renewals (and, after a failed one, its retries) this often: an API server outage
    shorter than the deadline less this period goes unnoticed."""
    retry_every_seconds: float = 2.0
    request_timeout_seconds: float = 5.0
    """Each Lease call's own limit: a hung API server must not hold a renewal past its
    deadline."""


def lease_expired(spec: Any, now: datetime) -> bool:
    """Whether a Lease's holder has not renewed within its duration (pure)."""
    renewed = spec.renew_time or spec.acquire_time
    if not spec.holder_identity or renewed is None:
        return True
    return bool(now > renewed + timedelta(seconds=spec.lease_duration_seconds or 0))


class Lease:
    """The operator's Lease, as this replica sees it."""

    def __init__(
        self,
        settings: LeaseSettings,
        api: client.CoordinationV1Api,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._api = api

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True when we hold it."""
        now = utc_now(self.clock)
        try:
            lease = self._api.read_namespaced_lease(
                LEASE_NAME, self.settings.namespace, _request_timeout=self._timeout
            )
        except ApiException as error:
            if error.status != 404:
                raise
            return self._create(now)
        spec = lease.spec = lease.spec or client.V1LeaseSpec()
        if spec.holder_identity != self.settings.identity and not lease_expired(spec, now):
            return False
        if spec.holder_identity != self.settings.identity:
            spec.lease_transitions = (spec.lease_transitions or 0) + 1
            spec.acquire_time = now
        spec.holder_identity = self.settings.identity
        spec.lease_duration_seconds = self.settings.duration_seconds
        spec.renew_time = now
        try:
            # The read's resourceVersion makes this a compare-and-swap: one replica wins.
            self._api.replace_namespaced_lease(
                LEASE_NAME, self.settings.namespace, lease, _request_timeout=self._timeout
            )
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    @property
    def _timeout(self) -> float:
        return self.settings.request_timeout_seconds

    def release(self) -> None:
        """Give the lease up, if we hold it, so that a standby takes over at once."""
        try:
            lease = self._api.read_namespaced_lease(
                LEASE_NAME, self.settings.namespace, _request_timeout=self._timeout
            )
            if lease.spec is None or lease.spec.holder_identity != self.settings.identity:
                return
            lease.spec.holder_identity = None
            lease.spec.renew_time = None
            self._api.replace_namespaced_lease(
                LEASE_NAME, self.settings.namespace, lease, _request_timeout=self._timeout
            )
        except LEASE_API_ERRORS as error:
            logger.warning("Lease %s not released: %s", LEASE_NAME, describe_error(error))

    def _create(self, now: datetime) -> bool:
        body = client.V1Lease(
            metadata=client.V1ObjectMeta(name=LEASE_NAME, namespace=self.settings.namespace),
            spec=client.V1LeaseSpec(
                holder_identity=self.settings.identity,
                acquire_time=now,
                renew_time=now,
                lease_duration_seconds=self.settings.duration_seconds,
                lease_transitions=0,
            ),
        )
        try:
            self._api.create_namespaced_lease(
                self.settings.namespace, body, _request_timeout=self._timeout
            )
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True


def wait_for_leadership(lease: Lease, liveness_endpoint: str) -> None:
    """Block until this replica leads, answering liveness probes meanwhile."""
    with _standby_liveness(liveness_endpoint):
        announced = False
        while True:
            try:
                if lease.try_acquire():
                    logger.info(
                        "Leading as %s (Lease %s/%s)",
                        lease.settings.identity,
                        lease.settings.namespace,
                        LEASE_NAME,
                    )
                    return
            except LEASE_API_ERRORS as error:
                logger.warning("Lease %s unreadable: %s", LEASE_NAME, describe_error(error))
            if not announced:
                logger.info(
                    "Standing by: another replica holds Lease %s/%s",
                    lease.settings.namespace,
                    LEASE_NAME,
                )
                announced = True
            time.sleep(lease.settings.retry_every_seconds)


def keep_leading(lease: Lease, on_lost: Callable[[], None]) -> threading.Thread:
    """Renew the lease in the background; call `on_lost` if it cannot be renewed in time."""
    settings, clock = lease.settings, lease.clock

    def renew() -> None:
        last_renewal = clock.monotonic()
        while True:
            time.sleep(settings.renew_every_seconds)
            try:
                if lease.try_acquire():
                    last_renewal = clock.monotonic()
                    continue
                logger.error("Lease %s taken by another replica", LEASE_NAME)
            except LEASE_API_ERRORS as error:
                silent = clock.monotonic() - last_renewal
                if silent + settings.renew_every_seconds < settings.renew_deadline_seconds:
                    logger.warning("Lease renewal failed (%s); retrying", describe_error(error))
                    continue
                logger.error("Lease not renewed for %.0fs (%s)", silent, describe_error(error))
            on_lost()
            return

    thread = threading.Thread(target=renew, name="gdpr-lease", daemon=True)
    thread.start()
    return thread


def describe_error(error: Exception) -> str:
    if isinstance(error, ApiException):
        return f"HTTP {error.status}"
    return f"API server unreachable: {type(error).__name__}"


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"leader": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes are not worth a log line."""


@contextlib.contextmanager
def _standby_liveness(endpoint: str) -> Iterator[None]:
    """Answer the liveness endpoint while standing by; kopf takes the port over after."""
    parts = urlsplit(endpoint)
    server = ThreadingHTTPServer((parts.hostname or "0.0.0.0", parts.port or 80), _Healthy)
    threading.Thread(target=server.serve_forever, name="gdpr-standby", daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
