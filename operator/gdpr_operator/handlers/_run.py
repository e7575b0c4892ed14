"""`run`: the operator's process. Metrics server, leader election or shard membership,
then kopf with this package's handlers on a registry of their own, until it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import kopf
from kubernetes import client, config
from prometheus_client import start_http_server

from gdpr_operator.aws import AwsSettings
from gdpr_operator.handlers import _accounts, _lifecycle, _monitorings
from gdpr_operator.handlers._accounts import AccountApi
from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock
from gdpr_operator.handlers._config import ACCOUNT_CHECK_SECONDS, OperatorConfig
from gdpr_operator.handlers._diffbase import MemoryDiffBaseStorage
from gdpr_operator.handlers._leadership import (
    Lease,
    LeaseSettings,
    keep_leading,
    lease_api,
    wait_for_leadership,
)
from gdpr_operator.handlers._owned import Ownership
from gdpr_operator.handlers._secrets import ExternalIdSecrets
from gdpr_operator.handlers._shards import Membership, ShardSettings
from gdpr_operator.handlers._state import OperatorMemo, SharedState
from gdpr_operator.handlers._wake_key import wake_key
from gdpr_operator.model import GROUP, EventsHub
from gdpr_operator.report import metrics

FINALIZER = f"{GROUP}/finalizer"

KUBERNETES_CONNECT_TIMEOUT_SECONDS = 10.0
KUBERNETES_REQUEST_TIMEOUT_SECONDS = 30.0
WATCH_SECONDS = 300
"""A watch is ended by the API server after this long (its timeoutSeconds: whole seconds),
and kopf starts another; the client gives it up if it has not ended a request timeout later."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunOptions:
    operator_namespace: str
    watch_namespaces: tuple[str, ...]
    """Empty: every namespace."""
    metrics_address: str
    metrics_port: int
    liveness_endpoint: str
    leader_election: bool = True
    """Of several replicas, only the holder of the Lease acts."""
    shard_lease_seconds: float | None = None
    """Sharded mode, with membership Leases of this duration: every replica acts, each on
    the objects it owns (leader election is then off)."""
    aws_settings: AwsSettings = field(default_factory=AwsSettings)
    account_check_seconds: float = ACCOUNT_CHECK_SECONDS
    """How often a Ready AwsAccount is checked again."""
    events_hub: EventsHub | None = None
    """Where every account-region's drift events are forwarded, to one queue; None: a queue
    per account-region."""


def registry() -> kopf.OperatorRegistry:
    """A registry with every handler of the operator, and kopf's login through the
    kubernetes client's configuration: kopf's default registry adds that login itself, a
    registry of our own has none unless it is registered (as the same handler, its errors
    ignored as there)."""
    handlers = kopf.OperatorRegistry()
    kopf.on.login(errors=kopf.ErrorsMode.IGNORED, registry=handlers)(kopf.login_via_client)
    for module in (_accounts, _lifecycle, _monitorings):
        module.register(handlers)
    return handlers


def _settings(diffbase: MemoryDiffBaseStorage | None) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = FINALIZER
    # Our own annotation prefix, and nothing of kopf's in status (status is the API).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = diffbase or kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.posting.loggers = False  # Events are posted on condition transitions only
    # Every Kubernetes API call has a timeout: kopf's defaults let a request hang for 5 min
    # and a connection attempt or a watch forever.
    settings.networking.connect_timeout = KUBERNETES_CONNECT_TIMEOUT_SECONDS
    settings.networking.request_timeout = KUBERNETES_REQUEST_TIMEOUT_SECONDS
    settings.watching.connect_timeout = KUBERNETES_CONNECT_TIMEOUT_SECONDS
    settings.watching.server_timeout = WATCH_SECONDS
    settings.watching.client_timeout = WATCH_SECONDS + KUBERNETES_REQUEST_TIMEOUT_SECONDS
    return settings


def run(options: RunOptions, clock: Clock = SYSTEM_CLOCK) -> None:
    """Run the operator until it is stopped (SIGINT or SIGTERM), or loses its Lease. Every
    part reads the time from `clock`: the Leases, the handlers."""
    config.load_config()
    start_http_server(options.metrics_port, options.metrics_address)
    logger.info("Serving /metrics on %s:%d", options.metrics_address, options.metrics_port)
    identity = f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
    lease = membership = key = None
    if options.shard_lease_seconds is not None:
        # Before joining: a replica that cannot sign the causes it carries takes no share.
        key = wake_key(client.CoreV1Api(), options.operator_namespace)
        membership = Membership(
            ShardSettings(options.operator_namespace, identity, options.shard_lease_seconds),
            lease_api(),
            clock,
        )
        membership.join()
    elif options.leader_election:
        lease = Lease(LeaseSettings(options.operator_namespace, identity), lease_api(), clock)
        wait_for_leadership(lease, options.liveness_endpoint)
    lost = asyncio.run(_operate(options, lease, membership, key, clock))
    # Stopped acting: now a standby, or the other members, may take over at once.
    if membership is not None:
        membership.leave()
    if lost:
        # Lease lost: stop, so that two replicas never act together.
        raise SystemExit("gdpr-operator: Lease lost; exiting")
    if lease is not None:
        lease.release()


async def _operate(
    options: RunOptions,
    lease: Lease | None,
    membership: Membership | None,
    key: bytes | None,
    clock: Clock = SYSTEM_CLOCK,
) -> bool:
    """kopf until it stops; True when it stopped because the lease was lost."""
    # An asyncio.Event: kopf waits for any other kind of flag in a worker thread, which
    # nothing would release on SIGTERM, and the process would hang on exit.
    lost = asyncio.Event()
    loop = asyncio.get_running_loop()
    ownership = Ownership(membership)

    def soon(callback: Callable[[], object]) -> None:
        """From a Lease thread; after kopf stopped, the loop is closed and nothing is due."""
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(callback)

    def on_lost() -> None:
        soon(lost.set)
        soon(ownership.abandon_lost)

    deadline: list[asyncio.TimerHandle] = []  # the one timer armed by the latest cycle

    def abandon_at_deadline() -> None:
        """After a successful cycle: the passes over objects that moved away stop now, and
        every pass stops at the deadline unless another cycle succeeds by then. Cut off, a
        replica learns it only once its failing cycles time out (on_lost), which can be
        after its Lease could pass (tests/e2e/test_sharding.py)."""
        ownership.abandon_lost()
        if membership is not None:
            for timer in deadline:
                timer.cancel()
            # A little after: asyncio may run a timer up to its clock resolution early.
            deadline[:] = [
                loop.call_later(membership.seconds_to_deadline() + 0.01, ownership.abandon_lost)
            ]

    if lease is not None:
        keep_leading(lease, on_lost)
    diffbase = None
    if membership is not None:
        diffbase = MemoryDiffBaseStorage()
        metrics.export_only(ownership.owns_named)
        membership.keep(on_change=lambda: soon(abandon_at_deadline), on_lost=on_lost)
    memo = OperatorMemo(
        SharedState(
            config=OperatorConfig(
                namespace=options.operator_namespace,
                read_external_id=ExternalIdSecrets(options.operator_namespace, client.CoreV1Api()),
                aws_settings=options.aws_settings,
                account_api=AccountApi(clock=clock),
                account_check_seconds=options.account_check_seconds,
                events_hub=options.events_hub,
                ownership=ownership,
                diffbase=diffbase,
                wake_key=key,
            ),
            clock=clock,
        )
    )
    await kopf.operator(
        registry=registry(),
        settings=_settings(diffbase),
        memo=memo,
        standalone=True,
        clusterwide=not options.watch_namespaces,
        namespaces=options.watch_namespaces,
        liveness_endpoint=options.liveness_endpoint,
        stop_flag=lost,
    )
    return lost.is_set()
