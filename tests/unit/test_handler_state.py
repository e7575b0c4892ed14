"""What the handlers keep in kopf's memo, the clock they read, and the registry they are on."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from gdpr_operator.engine import DriftCause, Outcome, PlumbingRelease, Slice
from gdpr_operator.handlers import _monitorings
from gdpr_operator.handlers._accounts import _Account
from gdpr_operator.handlers._config import ERROR_RETRY_SECONDS
from gdpr_operator.handlers._run import registry
from gdpr_operator.handlers._schedule import now
from gdpr_operator.handlers._state import ObjectState, OperatorMemo, SharedState
from gdpr_operator.model import parse_aws_account, parse_monitoring

from fixtures.accounts import account_checks
from fixtures.clock import FakeClock


def _shared() -> SharedState:
    return SharedState(config=cast(Any, object()), clock=FakeClock())


def test_each_object_gets_its_own_state_and_shares_the_rest() -> None:
    base = OperatorMemo(_shared())
    # As kopf makes each object's memo when it first sees the object.
    first, second = copy.copy(base), copy.copy(base)
    assert isinstance(first, OperatorMemo)
    assert first.shared is second.shared is base.shared
    assert first.state is not second.state
    assert first.state.lock is not second.state.lock
    first.state.last_pass = (1, 5.0)
    first.state.failures_in_a_row = 3
    assert second.state == ObjectState(lock=second.state.lock)
    assert base.state.last_pass is None
    # What the startup sets on the shared part reaches every object's handlers, even those
    # whose memo was copied before.
    base.shared.services = cast(Any, "started")
    assert first.shared.services == second.shared.services == "started"


def test_a_copy_of_an_objects_memo_is_fresh_again() -> None:
    memo = copy.copy(OperatorMemo(_shared()))
    memo.state.jitter = 1.05
    assert copy.copy(memo).state.jitter is None


def test_a_pass_is_due_by_the_injected_clock_after_the_last_one() -> None:
    clock = FakeClock()
    state = ObjectState(last_pass=(3, clock.monotonic()))
    body = kopf.Body({"metadata": {"generation": 3}, "status": {}})
    clock.advance(299.9)
    assert not _monitorings._due(body, state, 300.0, clock)
    clock.advance(0.1)
    assert _monitorings._due(body, state, 300.0, clock)


def test_without_a_pass_of_its_own_the_status_time_decides_by_the_clocks_wall_time() -> None:
    clock = FakeClock()
    state = ObjectState()  # after a restart
    written = {"observedGeneration": 3, "lastReconcileTime": "2026-01-01T12:00:00Z"}
    body = kopf.Body({"metadata": {"generation": 3}, "status": written})
    assert now(clock) == datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    clock.advance(299)
    assert not _monitorings._due(body, state, 300.0, clock)
    clock.advance(1)
    assert _monitorings._due(body, state, 300.0, clock)


def test_a_failing_account_is_checked_again_after_its_backoff_by_the_injected_clock() -> None:
    clock = FakeClock()
    checks = account_checks(clock=clock)
    spec = parse_aws_account("prod", {"accountId": "111111111111", "allowedNamespaces": ["a"]})
    known = _Account(spec, generation=1, uid="u", status={}, jitter=1.0)
    known.checked_generation, known.checked_at = 1, clock.monotonic()
    known.failures_in_a_row = 2  # backoff: twice the first retry
    clock.advance(2 * ERROR_RETRY_SECONDS - 0.1)
    assert not checks._due(known)
    clock.advance(0.1)
    assert checks._due(known)
    known.failures_in_a_row = 0  # Ready: the full interval
    assert not checks._due(known)
    clock.advance(300.0 - 2 * ERROR_RETRY_SECONDS)
    assert checks._due(known)


async def test_only_a_move_from_managed_to_off_releases_the_plumbing_and_once() -> None:
    """The checker removes plumbing only when the spec says Off and the status still says
    Managed (what the operator last acted on); any other account makes no call for it (no
    AWS layer here: a call would fail)."""
    checks = account_checks()

    def known(mode: str, status: dict[str, Any]) -> _Account:
        spec = parse_aws_account(
            "prod",
            {"accountId": "111111111111", "allowedNamespaces": ["a"], "events": {"mode": mode}},
        )
        return _Account(spec, generation=1, uid="u", status=status)

    for mode, recorded in [
        ("Off", {}),
        ("Off", {"eventsMode": "Off"}),
        ("Off", {"eventsMode": "External"}),
        ("Managed", {"eventsMode": "Managed"}),
        ("External", {"eventsMode": "Managed"}),
    ]:
        assert await checks._release_plumbing("prod", known(mode, recorded)) is None
    # Leaving Managed, no GdprMonitoring covering a region: nothing to remove, no call.
    leaving = await checks._release_plumbing("prod", known("Off", {"eventsMode": "Managed"}))
    assert leaving == PlumbingRelease()


def test_the_handlers_are_on_the_operators_registry_and_not_on_kopfs_default() -> None:
    ours = registry()
    handlers = [
        *ours._activities.get_all_handlers(),
        *ours._indexing.get_all_handlers(),
        *ours._watching.get_all_handlers(),
        *ours._spawning.get_all_handlers(),
        *ours._changing.get_all_handlers(),
    ]
    assert sorted(handler.id for handler in handlers) == [
        "account_seen",
        "aws_accounts",
        "live_monitorings",
        "login_via_client",
        "monitoring_uids",
        "monitorings_by_account",
        "reconcile_on_change",
        "reconcile_on_change",
        "reconcile_on_change/spec",
        "reconcile_on_drift_event/metadata.annotations.drift-events.monitoring.gdpr.io/received",
        "release",
        "resync",
        "start_aws",
        "stop_aws",
    ]
    # Sharded, every replica sees a wake: only the owner reconciles (with the causes the
    # wake carries when another replica received them).
    assert {handler.when for handler in handlers if handler.id.startswith("reconcile")} == {
        _monitorings._owned_here
    }
    default = kopf.get_default_registry()
    assert not [
        handler
        for handler in [
            *default._activities.get_all_handlers(),
            *default._indexing.get_all_handlers(),
            *default._watching.get_all_handlers(),
            *default._spawning.get_all_handlers(),
            *default._changing.get_all_handlers(),
        ]
        if handler.fn.__module__.startswith("gdpr_operator")
    ]


def test_a_pass_woken_by_events_is_targeted_only_with_a_full_outcome_of_this_generation() -> None:
    clock = FakeClock()
    prod = parse_aws_account("prod", {"accountId": "111111111111", "allowedNamespaces": ["sec"]})
    accounts = cast(Any, {"prod": [prod]})
    spec = parse_monitoring({"accounts": ["prod"], "regions": ["eu-west-1"]})
    outcome = Outcome(targets=(("prod", "eu-west-1"),))
    cause = DriftCause("111111111111", "eu-west-1", "GuardDuty", "", "X", "", 0.0, "prod")
    body = kopf.Body({"metadata": {"generation": 3}, "status": {}})

    def slices(state: ObjectState, causes: list[DriftCause]) -> frozenset[Slice] | None:
        return _monitorings._slices(body, spec, state, accounts, causes=causes, clock=clock)

    def state(**fields: Any) -> ObjectState:
        return ObjectState(
            **{
                "last_pass": (3, clock.monotonic()),
                "last_outcome": (3, outcome),
                "accounts_seen": (prod,),
                "jitter": 1.0,
                **fields,
            }
        )

    assert slices(state(), [cause, cause]) == {Slice("prod", "eu-west-1", "GuardDuty")}
    assert slices(state(), []) is None  # woken by someone else's annotation
    assert slices(state(last_outcome=None), [cause]) is None  # a restart, a takeover
    assert slices(state(last_outcome=(2, outcome)), [cause]) is None  # a new spec
    assert slices(state(accounts_seen=(None,)), [cause]) is None  # an AwsAccount changed
    interval = _monitorings._resync_interval(body, spec, accounts)
    due = state(last_pass=(3, clock.monotonic() - interval))
    assert slices(due, [cause]) is None
    elsewhere = DriftCause("111111111111", "us-east-1", "GuardDuty", "", "X", "", 0.0, "prod")
    assert slices(state(), [cause, elsewhere]) is None


def test_a_change_the_resync_already_passed_at_its_generation_is_not_passed_again() -> None:
    # The timer can pass a new object first; its create handler, waiting on the object's
    # lock, then finds the pass made.
    passed = ObjectState(last_pass=(3, 0.0))
    assert _monitorings._passed_at_its_generation(_generation(3), passed)
    assert not _monitorings._passed_at_its_generation(_generation(4), passed)  # a new spec
    assert not _monitorings._passed_at_its_generation(_generation(3), ObjectState())


def _generation(generation: int) -> kopf.Body:
    return kopf.Body({"metadata": {"generation": generation}, "status": {}})
