"""The Lease code reads the time from the Clock it is given: a fake one, not the system's,
decides when another replica's Lease has expired, when a leader's failed renewals have run
past its deadline, and when a shard member may act; and the renewTime and acquireTime it
writes are that clock's wall time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from gdpr_operator.handlers._clock import utc_now
from gdpr_operator.handlers._leadership import LEASE_NAME, Lease, LeaseSettings, keep_leading
from gdpr_operator.handlers._shards import Membership, ShardSettings

from fixtures.clock import FakeClock
from fixtures.leases import LeaseApiServer

FAKE_START = datetime(2026, 1, 1, 12, tzinfo=UTC)
"""FakeClock's wall time before it is advanced."""


def test_another_replicas_lease_is_taken_only_once_the_clock_says_it_expired() -> None:
    api, clock = LeaseApiServer(), FakeClock()
    first = Lease(LeaseSettings("ns", "first", duration_seconds=15), api, clock)  # type: ignore[arg-type]
    second = Lease(LeaseSettings("ns", "second", duration_seconds=15), api, clock)  # type: ignore[arg-type]
    assert first.try_acquire()
    spec = api.leases[LEASE_NAME].spec
    assert spec.acquire_time == spec.renew_time == FAKE_START

    clock.advance(15.0)  # renewed exactly a duration ago: not yet expired
    assert not second.try_acquire()
    assert api.leases[LEASE_NAME].spec.holder_identity == "first"

    clock.advance(0.5)
    assert second.try_acquire()
    spec = api.leases[LEASE_NAME].spec
    assert spec.holder_identity == "second"
    assert spec.lease_transitions == 1
    assert spec.acquire_time == spec.renew_time == utc_now(clock)
    assert utc_now(clock) == datetime(2026, 1, 1, 12, 0, 15, 500_000, tzinfo=UTC)


def test_a_leaders_failed_renewals_end_its_lead_when_its_clock_passes_the_deadline() -> None:
    api, clock = LeaseApiServer(), FakeClock()
    settings = LeaseSettings("ns", "me", renew_deadline_seconds=10.0, renew_every_seconds=0.01)
    lease = Lease(settings, api, clock)  # type: ignore[arg-type]
    assert lease.try_acquire()
    api.reachable = False
    lost = threading.Event()
    renewing = keep_leading(lease, on_lost=lost.set)

    # Renewals fail every 0.01 s of real time, but the clock stands still: retrying.
    assert not lost.wait(0.3)
    clock.advance(9.9)  # silent 9.9 s + one period: still inside the deadline
    assert not lost.wait(0.3)
    clock.advance(0.2)
    assert lost.wait(2)
    renewing.join(timeout=1)
    assert not renewing.is_alive()


def test_a_member_acts_once_its_clock_says_it_waited_and_stops_at_its_deadline() -> None:
    api, clock = LeaseApiServer(), FakeClock()
    settings = ShardSettings("ns", "me", duration_seconds=15.0)  # deadline 10 s
    membership = Membership(settings, api, clock)  # type: ignore[arg-type]
    membership.join()
    spec = api.leases[settings.lease_name].spec
    assert spec.acquire_time == spec.renew_time == FAKE_START

    assert membership.cycle()
    assert not membership.owns("uid")  # a newcomer waits a lease duration
    clock.advance(14.8)
    assert membership.cycle()
    assert not membership.owns("uid")
    clock.advance(0.4)  # a member for 15.2 s, its last cycle 0.4 s ago
    assert membership.owns("uid")  # the only member owns everything
    assert membership.seconds_to_deadline() == pytest.approx(10.0 - 0.4)

    clock.advance(9.4)  # no cycle for 9.8 s
    assert membership.owns("uid")
    clock.advance(0.4)  # none for 10.2 s: past the deadline
    assert not membership.owns("uid")
    assert membership.seconds_to_deadline() == 0.0

    assert membership.cycle()
    assert membership.owns("uid")
    assert api.leases[settings.lease_name].spec.renew_time == utc_now(clock)
