"""kopf glue for GdprMonitoring: reconcile on change and on a jittered timer; release on delete."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import kopf
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator import engine
from gdpr_operator.engine import DriftCause, LiveMonitoring, Outcome, Refusal, Slice
from gdpr_operator.handlers import _wake_causes as wake_causes
from gdpr_operator.handlers._clock import Clock
from gdpr_operator.handlers._config import (
    ACCOUNTS,
    MONITORINGS,
    RESYNC_JITTER,
    RESYNC_TICK_SECONDS,
    OperatorConfig,
)
from gdpr_operator.handlers._drift_events import DRIFT_ANNOTATION
from gdpr_operator.handlers._leadership import LEASE_API_ERRORS
from gdpr_operator.handlers._schedule import (
    jitter_factor,
    next_pass_after,
    now,
    resync_due,
    rfc3339,
)
from gdpr_operator.handlers._state import ObjectState, OperatorMemo
from gdpr_operator.model import (
    GROUP,
    VERSION,
    AwsAccountSpec,
    DeletionPolicy,
    MonitoringSpec,
    SpecError,
    effective_resync_interval,
    parse_aws_account,
    parse_monitoring,
)
from gdpr_operator.report import metrics, status_update

log = logging.getLogger(__name__)

AccountIndex = kopf.Index[str, AwsAccountSpec]
MonitoringIndex = kopf.Index[tuple[str, str], MonitoringSpec]


def register(registry: kopf.OperatorRegistry) -> None:
    """This module's handlers, on `registry` (kopf runs a cause's handlers in this order)."""
    kopf.index(GROUP, VERSION, ACCOUNTS, registry=registry)(aws_accounts)
    kopf.index(GROUP, VERSION, MONITORINGS, registry=registry)(live_monitorings)
    kopf.index(GROUP, VERSION, MONITORINGS, registry=registry)(monitoring_uids)
    for on_change in (
        kopf.on.update(
            GROUP, VERSION, MONITORINGS, field="spec", when=_owned_here, registry=registry
        ),
        kopf.on.create(GROUP, VERSION, MONITORINGS, when=_owned_here, registry=registry),
        kopf.on.resume(GROUP, VERSION, MONITORINGS, when=_owned_here, registry=registry),
    ):
        on_change(reconcile_on_change)
    kopf.on.update(
        GROUP,
        VERSION,
        MONITORINGS,
        field=("metadata", "annotations", DRIFT_ANNOTATION),
        when=_owned_here,
        registry=registry,
    )(reconcile_on_drift_event)
    kopf.timer(
        GROUP,
        VERSION,
        MONITORINGS,
        interval=RESYNC_TICK_SECONDS,
        initial_delay=RESYNC_TICK_SECONDS,
        registry=registry,
    )(resync)
    kopf.on.delete(GROUP, VERSION, MONITORINGS, registry=registry)(release)


def aws_accounts(name: str, spec: kopf.Spec, logger: kopf.Logger, **_: Any) -> dict[str, Any]:
    """AwsAccounts by name, kept in memory from the watch stream (no API call per lookup):
    what every write asks first, so a withdrawn binding stops writes as soon as it is seen."""
    try:
        account = parse_aws_account(name, spec)
    except SpecError as error:
        # Unusable accounts are treated as absent: nothing may act on them.
        logger.error("AwsAccount %s ignored: %s", name, error)
        return {}
    # The module's logger: kopf's per-object one does not reach the log from an indexer.
    log.info("AwsAccount %s seen: binds namespaces %s", name, sorted(account.allowed_namespaces))
    return {name: account}


def live_monitorings(
    namespace: str | None, name: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any
) -> dict[tuple[str, str], MonitoringSpec]:
    """GdprMonitorings that exist and are not being deleted: what a release leaves in place
    because another one still declares it (a detector, a role)."""
    if meta.get("deletionTimestamp"):
        return {}
    try:
        return {(namespace or "", name): parse_monitoring(spec)}
    except SpecError:
        return {}


def monitoring_uids(
    namespace: str | None, name: str, meta: kopf.Meta, **_: Any
) -> dict[tuple[str, str], str]:
    """Each GdprMonitoring's uid: which replica owns it, for the drift events' wakes."""
    return {(namespace or "", name): meta.get("uid") or ""}


def _owned_here(body: kopf.Body, memo: OperatorMemo, **_: Any) -> bool:
    """kopf's filter of the change handlers: a replica skips what it does not own."""
    return memo.shared.config.ownership.owns(body.metadata.uid or "")


async def reconcile_on_change(
    body: kopf.Body, patch: kopf.Patch, memo: OperatorMemo, **kwargs: Any
) -> None:
    async with memo.state.lock:
        if _passed_at_its_generation(body, memo.state):
            log.info(
                "Pass over %s/%s (%s) not repeated: the resync passed generation %s already",
                body.metadata.namespace,
                body.metadata.name,
                body.metadata.uid,
                body.meta.get("generation", 0),
            )
            return
        await _pass(body, patch, memo, kwargs["aws_accounts"])


def _passed_at_its_generation(body: kopf.Body, state: ObjectState) -> bool:
    """Whether a full pass of `body`'s generation has run. The resync timer can reach a new
    or changed object first (it is due: never passed at this generation) while the change
    handler waits on the object's lock: the handler would then pass it a second time."""
    return state.last_pass is not None and state.last_pass[0] == body.meta.get("generation", 0)


async def reconcile_on_drift_event(
    body: kopf.Body, patch: kopf.Patch, memo: OperatorMemo, **kwargs: Any
) -> None:
    """AWS change events concern this GdprMonitoring (see `_drift_events`): a pass now, of
    only what they name when it can be (`_slices`). The causes are in this replica's inbox,
    or carried by the wake when another replica received them (`_carried`)."""
    carried = _carried(body, memo)
    async with memo.state.lock:
        await _pass(body, patch, memo, kwargs["aws_accounts"], targeted=True, carried=carried)


def _carried(body: kopf.Body, memo: OperatorMemo) -> list[DriftCause]:
    """The causes another replica's wake carried (sharded mode) that were not taken yet, when
    the value verifies (`_wake_causes`); else none, and the pass names nobody."""
    key, state = memo.shared.config.wake_key, memo.state
    annotations = body.metadata.annotations
    value = annotations.get(wake_causes.CAUSES_ANNOTATION)
    if key is None or value is None:
        return []
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    try:
        carried = wake_causes.decode(key, value, body.metadata.uid or "")
    except wake_causes.InvalidWakeError as error:
        log.warning(
            "%s/%s: annotation %s ignored: %s",
            namespace,
            name,
            wake_causes.CAUSES_ANNOTATION,
            error,
        )
        return []
    if carried.woken_at != annotations.get(DRIFT_ANNOTATION):
        return []  # an earlier wake's: this one is this replica's own
    now = memo.shared.clock.time()
    if not wake_causes.fresh(carried, state.wake_accepted_at, now):
        log.warning(
            "%s/%s: annotation %s ignored: not newer than the last accepted, or older than %gs",
            namespace,
            name,
            wake_causes.CAUSES_ANNOTATION,
            wake_causes.MAX_AGE_SECONDS,
        )
        return []
    state.wake_accepted_at = float(carried.woken_at)
    state.causes_counted = {
        cause
        for cause in state.causes_counted
        if cause.received_at >= now - wake_causes.MAX_AGE_SECONDS
    }
    new = [cause for cause in carried.causes if cause not in state.causes_counted]
    state.causes_counted.update(new)
    if carried.omitted:
        log.info("%s/%s: %d more causes were not carried", namespace, name, carried.omitted)
    return new


async def resync(body: kopf.Body, patch: kopf.Patch, memo: OperatorMemo, **kwargs: Any) -> None:
    """Drift detection: a full reconcile once the object's (jittered) interval has elapsed
    (`_resync_interval`: its default depends on the bound AwsAccounts' events modes),
    sooner while passes fail (see `next_pass_after`), and at once when an AwsAccount it
    names changed (bound, unbound, another role or events mode) since its last pass. In
    sharded mode, only on the owner, and at once when this replica takes the object over."""
    config, state = memo.shared.config, memo.state
    uid = body.metadata.uid or ""
    if not config.ownership.owns(uid):
        if state.last_pass is not None:
            state.last_pass = state.last_outcome = None
            _let_go(body, config)
        return
    try:
        spec: MonitoringSpec | None = parse_monitoring(body.spec)
    except SpecError:
        spec = None  # reported by the change handlers, or here by a replica taking it over
    async with state.lock:
        # Decided under the lock: a change handler's pass may just have ended, and `body`
        # (read when the timer fired) would not show it yet.
        taken_over = config.ownership.sharded and state.last_pass is None
        if spec is None:
            if taken_over:
                await _pass(body, patch, memo, kwargs["aws_accounts"])
            return
        interval = next_pass_after(
            _resync_interval(body, spec, kwargs["aws_accounts"]), state.failures_in_a_row
        )
        if state.jitter is None:
            state.jitter = jitter_factor()
        accounts_changed = state.accounts_seen != _accounts_seen(spec, kwargs["aws_accounts"])
        clock = memo.shared.clock
        if taken_over or accounts_changed or _due(body, state, interval * state.jitter, clock):
            await _pass(body, patch, memo, kwargs["aws_accounts"])
            state.jitter = jitter_factor()


async def release(body: kopf.Body, memo: OperatorMemo, logger: kopf.Logger, **kwargs: Any) -> None:
    """Deletion: Retain leaves AWS as it is; Delete removes what the operator created for
    this object (known by its tags), and the finalizer stays until that succeeded. In
    sharded mode only the owner releases; the others wait until the object is gone."""
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    config = memo.shared.config
    uid = body.metadata.uid or ""
    try:
        spec = parse_monitoring(body.spec)
    except SpecError:
        spec = None
    while True:
        while not config.ownership.owns(uid):
            if not await _still_there(namespace, name, uid):
                _gone(body, config)  # its owner released it
                return
            await asyncio.sleep(RESYNC_TICK_SECONDS / 10)
        if spec is None or spec.deletion_policy is not DeletionPolicy.DELETE:
            break
        request = _request(body, spec, memo, kwargs["aws_accounts"], kwargs["live_monitorings"])
        async with memo.state.lock:
            outcome = await config.ownership.run(uid, engine.release(request))
        if outcome is not None:
            _report_release(body, outcome)
            break
    logger.info("Released %s/%s", namespace, name)
    _gone(body, config)


async def _still_there(namespace: str, name: str, uid: str) -> bool:
    """Whether the object is still in the API server (read there: kopf updates nothing of
    this object while its handler runs)."""
    api = client.CustomObjectsApi()
    try:
        found = await asyncio.to_thread(
            api.get_namespaced_custom_object, GROUP, VERSION, namespace, MONITORINGS, name
        )
    except ApiException as error:
        return bool(error.status != 404)  # other errors: unknown, keep waiting
    except LEASE_API_ERRORS:
        return True
    return isinstance(found, dict) and found.get("metadata", {}).get("uid") == uid


def _report_release(body: kopf.Body, outcome: engine.Outcome) -> None:
    """Events of a release; an error when something created is still there (kopf retries)."""
    for item in outcome.released:
        kopf.event(body, type="Normal", reason="Released", message=f"Deleted {item}")
    for item in outcome.kept:
        kopf.event(body, type="Normal", reason="Kept", message=f"Kept {item}")
    if outcome.refusal is not None:
        # Unbound now: the operator may no longer act there, so it removes nothing.
        kopf.event(
            body,
            type="Warning",
            reason=outcome.refusal.reason,
            message=f"Nothing deleted in AWS: {outcome.refusal.message}",
        )
    elif outcome.errors:
        first = outcome.errors[0]
        raise kopf.TemporaryError(
            f"could not delete everything the operator created ({len(outcome.errors)} "
            f"error(s); first: {first.account}/{first.region}: {first.message})",
            delay=30,
        )


def _let_go(body: kopf.Body, config: OperatorConfig) -> None:
    """This replica no longer acts on the object: its series go, a later pass starts anew."""
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    metrics.forget(namespace, name)
    config.ownership.forget(namespace, name)


def _gone(body: kopf.Body, config: OperatorConfig) -> None:
    """The object is deleted: nothing of it stays in this process."""
    _let_go(body, config)
    if config.diffbase is not None:
        config.diffbase.forget(body.metadata.uid or "")


def _request(
    body: kopf.Body,
    spec: MonitoringSpec,
    memo: OperatorMemo,
    accounts: AccountIndex,
    monitorings: MonitoringIndex | None = None,
    *,
    only: frozenset[Slice] | None = None,
) -> engine.Request:
    config = memo.shared.config
    return engine.Request(
        namespace=body.metadata.namespace or "",
        name=body.metadata.name or "",
        spec=spec,
        lookup_account=lambda account: _lookup(accounts, account),
        read_external_id=config.read_external_id,
        aws=memo.shared.running.aws,
        live_monitorings=lambda: _live(monitorings),
        only=only,
        events_hub=config.events_hub,
    )


def _live(monitorings: MonitoringIndex | None) -> list[LiveMonitoring]:
    return [
        LiveMonitoring(namespace, name, spec)
        for (namespace, name), specs in (monitorings or {}).items()
        for spec in specs
    ]


async def _pass(
    body: kopf.Body,
    patch: kopf.Patch,
    memo: OperatorMemo,
    accounts: AccountIndex,
    *,
    targeted: bool = False,
    carried: Sequence[DriftCause] = (),
) -> None:
    """One reconcile, its status, Events and metrics, unless the object moved to another
    replica meanwhile (then nothing is written). The caller holds the lock.

    `targeted`: AWS change events woke the pass; it runs only the slices their causes name
    when `_slices` finds that it can, and writes everything from that merged into the last
    full outcome, as a full pass would. `carried`: causes another replica received."""
    config, state, clock = memo.shared.config, memo.state, memo.shared.clock
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    uid = body.metadata.uid or ""
    generation = body.meta.get("generation", 0)
    started = clock.monotonic()
    inbox = memo.shared.running.drift_inbox
    # What led here, if AWS change events did.
    causes = [*inbox.take((namespace, name)), *carried]
    spec: MonitoringSpec | None
    slices: frozenset[Slice] | None = None
    config.ownership.remember(namespace, name, uid)
    log.info("Pass over %s/%s (%s) begins", namespace, name, uid)
    try:
        spec = parse_monitoring(body.spec)
    except SpecError as error:
        spec = None
        outcome: Outcome | None = Outcome(refusal=Refusal("InvalidSpec", str(error)))
    else:
        previous = state.last_outcome
        slices = (
            _slices(body, spec, state, accounts, causes=causes, clock=clock) if targeted else None
        )
        state.accounts_seen = _accounts_seen(spec, accounts)
        outcome = await config.ownership.run(
            uid, engine.reconcile(_request(body, spec, memo, accounts, only=slices))
        )
        if outcome is not None and slices is not None and previous is not None:
            log.info("Pass over %s/%s (%s) targeted: %s", namespace, name, uid, _named(slices))
            outcome = engine.merge_outcome(previous[1], outcome, slices)
        if outcome is not None:
            inbox.watch(
                engine.event_queues(
                    (account, region)
                    for account, region in outcome.targets
                    if (known := _lookup(accounts, account)) is not None
                    and known.drift_events.consumed
                )
            )
    if outcome is None or not config.ownership.owns(uid):
        log.info("Pass over %s/%s (%s) abandoned: no longer ours", namespace, name, uid)
        state.last_pass = state.last_outcome = None
        _let_go(body, config)
        return
    state.failures_in_a_row = state.failures_in_a_row + 1 if outcome.errors else 0
    if slices is None:  # the resync counts from the last full pass: its safety net
        state.last_pass = (generation, clock.monotonic())
    state.last_outcome = (generation, outcome) if spec is not None else None
    finished_at = clock.time()
    recent = state.recent_repairs.fresh(finished_at)
    late = recent.claimed_by(outcome, causes)
    state.recent_repairs = recent.after_pass(outcome, causes, finished_at, late.values())
    update = status_update(
        body.status,
        generation,
        outcome,
        rfc3339(now(clock)),
        enforce=spec is not None and spec.enforce,
        causes=causes,
        finished_at=finished_at,
        late=late,
    )
    patch.status.update(update.status)
    # Which default applies (or the spec's own), where users look; gone with an invalid spec.
    patch.status["resyncIntervalSeconds"] = (
        _resync_interval(body, spec, accounts) if spec is not None else None
    )
    for event in update.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    metrics.record_outcome(
        namespace,
        name,
        outcome,
        ready=update.ready,
        duration_seconds=clock.monotonic() - started,
        finished_at=finished_at,
    )
    metrics.record_drift_causes(outcome, causes, finished_at, late)
    log.info("Pass over %s/%s (%s) ends; status written", namespace, name, uid)


def _slices(
    body: kopf.Body,
    spec: MonitoringSpec,
    state: ObjectState,
    accounts: AccountIndex,
    *,
    causes: Sequence[DriftCause],
    clock: Clock,
) -> frozenset[Slice] | None:
    """What a pass that AWS change events woke runs alone: the slices their causes name
    (`engine.slices_for`); None for a full pass, when this process has no outcome of the
    current generation to merge into (a restart, a takeover, a new spec), an AwsAccount
    changed since, or a resync is due anyway (the earliest the timer could find it due)."""
    last = state.last_outcome
    if not causes or last is None or last[0] != body.meta.get("generation", 0):
        return None
    if state.accounts_seen != _accounts_seen(spec, accounts):
        return None
    jitter = state.jitter if state.jitter is not None else 1 - RESYNC_JITTER
    interval = next_pass_after(_resync_interval(body, spec, accounts), state.failures_in_a_row)
    if _due(body, state, interval * jitter, clock):
        return None
    return engine.slices_for(causes, spec, last[1])


def _named(slices: frozenset[Slice]) -> str:
    return ", ".join(f"{s.component} in {s.account}/{s.region}" for s in sorted(slices))


def _due(body: kopf.Body, state: ObjectState, interval_seconds: float, clock: Clock) -> bool:
    """Whether a resync pass is due: by this process's own record of its last pass for the
    current generation when it has one, else by the status (after a restart)."""
    generation = body.meta.get("generation", 0)
    last_pass = state.last_pass
    if last_pass is not None and last_pass[0] == generation:
        return clock.monotonic() - last_pass[1] >= interval_seconds
    return resync_due(body.status, generation, interval_seconds, now(clock))


def _resync_interval(body: kopf.Body, spec: MonitoringSpec, accounts: AccountIndex) -> float:
    """The object's resync interval (`effective_resync_interval`), from the events modes of
    the AwsAccounts it names that exist and allow its namespace, as the operator knows them
    now (a mode changed counts as an AwsAccount changed: `_accounts_seen`)."""
    namespace = body.metadata.namespace or ""
    return effective_resync_interval(
        spec,
        (
            account.drift_events
            for account in _accounts_seen(spec, accounts)
            if account is not None and namespace in account.allowed_namespaces
        ),
    )


def _accounts_seen(
    spec: MonitoringSpec, accounts: AccountIndex
) -> tuple[AwsAccountSpec | None, ...]:
    """The AwsAccounts `spec` names, as the operator knows them now."""
    return tuple(_lookup(accounts, name) for name in spec.accounts)


def _lookup(accounts: AccountIndex, name: str) -> AwsAccountSpec | None:
    return next(iter(accounts.get(name, ())), None)
