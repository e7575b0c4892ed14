"""A replica's view of the shard members: gone only after its own lists showed a member's
renewTime unchanged for the lease duration."""

from __future__ import annotations

import threading
import time

import pytest
import urllib3

from gdpr_operator.handlers._shards import Membership, MemberView, ShardSettings

from fixtures.leases import LeaseApiServer


def test_a_member_that_keeps_renewing_stays_live() -> None:
    view = MemberView(silent_after_seconds=15)
    for second in range(0, 60, 2):
        view.observe({"a": f"renewed-{second}", "b": f"renewed-{second}"}, listed_at=second)
    assert view.live() == {"a", "b"}


def test_a_silent_member_is_gone_after_the_duration_counted_from_when_this_replica_saw_it() -> None:
    view = MemberView(silent_after_seconds=15)
    view.observe({"a": "t0", "b": "t0"}, listed_at=100.0)  # b's renewTime may be old: unknown
    view.observe({"a": "t1", "b": "t0"}, listed_at=114.0)
    assert view.live() == {"a", "b"}
    view.observe({"a": "t2", "b": "t0"}, listed_at=115.0)
    assert view.live() == {"a"}
    assert view.long_gone() == set()
    view.observe({"a": "t3", "b": "t0"}, listed_at=130.0)
    assert view.long_gone() == {"b"}


def test_silence_is_judged_by_successful_lists_only() -> None:
    """A replica whose lists failed for a while must not call the others gone for it: the
    silence counts up to its latest successful list, not to the clock."""
    view = MemberView(silent_after_seconds=15)
    view.observe({"a": "t0"}, listed_at=0.0)
    view.observe({"a": "t1"}, listed_at=20.0)  # 20 s without a list, then a renewal seen
    assert view.live() == {"a"}


def test_a_deleted_lease_leaves_the_members_at_once() -> None:
    view = MemberView(silent_after_seconds=15)
    view.observe({"a": "t0", "b": "t0"}, listed_at=0.0)
    view.observe({"a": "t1"}, listed_at=2.0)
    assert view.live() == {"a"}


def test_the_deadline_is_shorter_than_the_duration_and_renewals_fit_in_it_several_times() -> None:
    for duration in (3.0, 15.0, 60.0):
        settings = ShardSettings("ns", "me", duration)
        assert settings.renew_deadline_seconds < duration
        assert settings.renew_every_seconds * 4 < settings.renew_deadline_seconds
        assert settings.request_timeout_seconds < settings.renew_deadline_seconds
        assert settings.lease_name == "gdpr-operator-shard-me"


def test_a_member_cut_off_from_the_api_server_stops_acting_before_its_lease_could_pass() -> None:
    api = LeaseApiServer()
    settings = ShardSettings("ns", "me", duration_seconds=1.5)
    membership = Membership(settings, api)  # type: ignore[arg-type]
    lost = threading.Event()
    membership.join()
    membership.keep(on_change=lambda: None, on_lost=lost.set)
    assert not membership.owns("uid")  # a newcomer waits a lease duration
    deadline = time.monotonic() + 5
    while not membership.owns("uid") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert membership.owns("uid")  # the only member owns everything

    api.reachable = False
    cut_off = time.monotonic()
    while membership.owns("uid"):
        time.sleep(0.01)
    stopped_after = time.monotonic() - cut_off
    # Its last renewal was at most one period before the cut; the others would take over a
    # lease duration after it.
    assert stopped_after < settings.duration_seconds - settings.renew_every_seconds
    assert lost.wait(settings.duration_seconds)
    membership.leave()


def test_a_join_whose_answer_was_lost_retries_and_adopts_the_lease_it_created() -> None:
    api = LeaseApiServer()
    api.lose_the_answer_to_the_next_create = True
    membership = Membership(ShardSettings("ns", "me", duration_seconds=1.5), api)  # type: ignore[arg-type]
    membership.join()
    assert list(api.leases) == ["gdpr-operator-shard-me"]
    assert membership.cycle()  # renewing the adopted Lease works


def test_a_renewal_whose_answer_was_lost_leaves_the_lease_ours() -> None:
    # The renewal reached the API server but its answer timed out: the Lease moved on to a
    # resourceVersion this replica never saw. The next renewal must not take its own write
    # for another's and give up the membership.
    api = LeaseApiServer()
    membership = Membership(ShardSettings("ns", "me", duration_seconds=1.5), api)  # type: ignore[arg-type]
    membership.join()
    api.lose_the_answer_to_the_next_replace = True
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        membership.cycle()

    assert membership.cycle()
    assert membership.cycle()
    assert api.leases["gdpr-operator-shard-me"].spec.holder_identity == "me"


def test_a_lease_another_changed_is_no_longer_ours() -> None:
    api = LeaseApiServer()
    membership = Membership(ShardSettings("ns", "me", duration_seconds=1.5), api)  # type: ignore[arg-type]
    membership.join()
    taken = api.read_namespaced_lease("gdpr-operator-shard-me", "ns")
    taken.spec.holder_identity = "someone-else"
    api.replace_namespaced_lease("gdpr-operator-shard-me", "ns", taken)

    assert not membership.cycle()
