"""Wakes of GdprMonitorings by AWS change events: at once for the first, and for a storm at
most one every WAKE_SPACING_SECONDS, which takes every cause that came meanwhile; sharded,
a wake of another replica's GdprMonitoring carries the causes to its owner's pass."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import kopf
import pytest

from gdpr_operator import engine
from gdpr_operator.aws import Aws
from gdpr_operator.engine import DriftCause
from gdpr_operator.handlers import _monitorings
from gdpr_operator.handlers._drift_events import (
    DRIFT_ANNOTATION,
    WAKE_SPACING_SECONDS,
    DriftEventConsumer,
    DriftInbox,
    Key,
)
from gdpr_operator.handlers._state import OperatorMemo, SharedState
from gdpr_operator.handlers._wake_causes import CAUSES_ANNOTATION
from gdpr_operator.model import AwsAccountSpec, DriftEventsMode, parse_monitoring

ACCOUNT_ID = "111111111111"
KEY = ("sec", "web")
UID = "uid-of-sec-web"
WAKE_KEY = bytes(range(32))


@dataclass
class FakeClock:
    now: float = 100.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


@dataclass
class FakeWaker:
    woken: list[Key] = field(default_factory=list)
    annotations: list[dict[str, str]] = field(default_factory=list)
    """What each wake's patch sets."""

    async def wake(self, key: Key, stamp: str, causes: str | None = None) -> None:
        self.woken.append(key)
        self.annotations.append(
            {DRIFT_ANNOTATION: stamp, **({CAUSES_ANNOTATION: causes} if causes else {})}
        )


async def _no_secret(ref: object) -> str:
    raise AssertionError("no account here assumes a role")


def _received(count: int, received_at: float = 0.0, who: str = "alice") -> engine.Received:
    cause = DriftCause(ACCOUNT_ID, "eu-west-1", "GuardDuty", who, "UpdateDetector", "", received_at)
    return engine.Received((cause,) * count, count)


def _consumer(clock: FakeClock, waker: FakeWaker, **sharded: Any) -> DriftEventConsumer:
    account = AwsAccountSpec(
        "prod", ACCOUNT_ID, None, frozenset({"sec"}), drift_events=DriftEventsMode.MANAGED
    )
    spec = parse_monitoring({"accounts": ["prod"], "regions": ["eu-west-1"]})
    return DriftEventConsumer(
        aws=Aws(),
        read_external_id=_no_secret,
        inbox=DriftInbox(),
        accounts=lambda: {"prod": account},
        monitorings=lambda: {KEY: spec},
        waker=waker,  # type: ignore[arg-type]  # a stand-in for the Kubernetes API
        clock=clock,
        **sharded,
    )


def _owner(clock: FakeClock, wake_key: bytes | None = WAKE_KEY) -> OperatorMemo:
    """The memo of the owner's handlers of KEY (in another replica), as far as the causes a
    wake carries need it."""
    config = cast(Any, SimpleNamespace(wake_key=wake_key))
    return OperatorMemo(SharedState(config=config, clock=clock))


def _body(annotations: dict[str, str], uid: str = UID) -> kopf.Body:
    namespace, name = KEY
    return kopf.Body(
        {"metadata": {"namespace": namespace, "name": name, "uid": uid, "annotations": annotations}}
    )


def _principals(causes: list[DriftCause]) -> list[str]:
    return [cause.principal for cause in causes]


async def test_a_storm_wakes_at_once_then_at_most_once_a_spacing_for_all_that_came() -> None:
    clock, waker = FakeClock(), FakeWaker()
    consumer = _consumer(clock, waker)
    await consumer._dispatch(_received(10))
    assert waker.woken == [KEY]
    # Within the spacing: held, however many receives come meanwhile.
    clock.now += WAKE_SPACING_SECONDS - 0.05
    await consumer._dispatch(_received(10))
    await consumer._dispatch(_received(3))
    assert waker.woken == [KEY]
    assert set(consumer.held) == {KEY}
    await asyncio.wait_for(consumer.held[KEY], timeout=5)
    assert waker.woken == [KEY, KEY]
    assert consumer.held == {}
    # The pass that wake brings takes every cause that came.
    assert len(consumer.inbox.take(KEY)) == 23
    # Once the spacing has passed, an event wakes at once again.
    clock.now += WAKE_SPACING_SECONDS
    await consumer._dispatch(_received(1))
    assert waker.woken == [KEY, KEY, KEY]


async def test_a_wake_of_another_replicas_object_carries_its_causes_to_the_owners_pass() -> None:
    clock, waker = FakeClock(now=1764770000.0), FakeWaker()
    consumer = _consumer(clock, waker, owner_elsewhere=lambda key: UID, wake_key=WAKE_KEY)
    await consumer._dispatch(_received(2, received_at=clock.now))
    assert consumer.inbox.take(KEY) == []  # carried away: nothing waits here
    [annotations] = waker.annotations
    owner = _owner(clock)
    carried = _monitorings._carried(_body(annotations), owner)
    assert _principals(carried) == ["alice", "alice"]
    assert carried[0].account == "prod"
    # The same value again (replayed, or the owner's own wake since): nothing more.
    assert _monitorings._carried(_body(annotations), owner) == []
    # A second wake carries the first's causes again (it may have overwritten the first
    # before the owner saw it); the owner counts only the new one.
    clock.now += WAKE_SPACING_SECONDS
    await consumer._dispatch(_received(1, received_at=clock.now, who="bob"))
    second = waker.annotations[-1]
    assert _monitorings._carried(_body(second), owner) == [
        DriftCause(
            ACCOUNT_ID, "eu-west-1", "GuardDuty", "bob", "UpdateDetector", "", clock.now, "prod"
        )
    ]
    # The owner's own wake, the earlier value left in place: that value is not this wake's.
    own_wake = {**second, DRIFT_ANNOTATION: f"{clock.now + 5:.3f}"}
    assert _monitorings._carried(_body(own_wake), _owner(clock)) == []


async def test_causes_a_tenant_wrote_or_copied_are_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, waker = FakeClock(now=1764770000.0), FakeWaker()
    consumer = _consumer(clock, waker, owner_elsewhere=lambda key: UID, wake_key=WAKE_KEY)
    await consumer._dispatch(_received(1, received_at=clock.now))
    [annotations] = waker.annotations
    forged = {
        **annotations,
        CAUSES_ANNOTATION: annotations[CAUSES_ANNOTATION].replace("alice", "carol"),
    }
    with caplog.at_level(logging.WARNING):
        assert _monitorings._carried(_body(forged), _owner(clock)) == []
        assert _monitorings._carried(_body(annotations, uid="another"), _owner(clock)) == []
        late = FakeClock(now=clock.now + 601)
        assert _monitorings._carried(_body(annotations), _owner(late)) == []
    assert [record.levelno for record in caplog.records] == [logging.WARNING] * 3
    assert all(CAUSES_ANNOTATION in record.getMessage() for record in caplog.records)


async def test_unsharded_or_for_its_own_objects_a_wake_carries_nothing() -> None:
    for sharded in ({}, {"owner_elsewhere": lambda key: None, "wake_key": WAKE_KEY}):
        clock, waker = FakeClock(), FakeWaker()
        consumer = _consumer(clock, waker, **sharded)
        await consumer._dispatch(_received(1))
        assert [set(annotations) for annotations in waker.annotations] == [{DRIFT_ANNOTATION}]
        assert len(consumer.inbox.take(KEY)) == 1  # for this replica's own pass
