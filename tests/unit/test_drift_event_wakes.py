"""Wakes of GdprMonitorings by AWS change events: at once for the first, and for a storm at
most one every WAKE_SPACING_SECONDS, which takes every cause that came meanwhile."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gdpr_operator import engine
from gdpr_operator.aws import Aws
from gdpr_operator.engine import DriftCause
from gdpr_operator.handlers._drift_events import (
    WAKE_SPACING_SECONDS,
    DriftEventConsumer,
    DriftInbox,
    Key,
)
from gdpr_operator.model import AwsAccountSpec, DriftEventsMode, parse_monitoring

ACCOUNT_ID = "111111111111"
KEY = ("sec", "web")


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

    async def wake(self, key: Key) -> None:
        self.woken.append(key)


async def _no_secret(ref: object) -> str:
    raise AssertionError("no account here assumes a role")


def _received(count: int) -> engine.Received:
    cause = DriftCause(ACCOUNT_ID, "eu-west-1", "GuardDuty", "alice", "UpdateDetector", "", 0.0)
    return engine.Received((cause,) * count, count)


def _consumer(clock: FakeClock, waker: FakeWaker) -> DriftEventConsumer:
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
    )


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
