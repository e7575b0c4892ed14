"""Rendezvous hashing: stable, balanced, and moving about 1/N of the objects when N changes."""

from __future__ import annotations

import uuid
from collections import Counter

from gdpr_operator.handlers._rendezvous import owner

KEYS = [str(uuid.UUID(int=n * 7919 + 1)) for n in range(3000)]


def _assignment(members: list[str]) -> dict[str, str | None]:
    return {key: owner(key, members) for key in KEYS}


def test_no_members_own_nothing() -> None:
    assert owner("some-uid", []) is None


def test_the_owner_does_not_depend_on_the_order_members_are_listed_in() -> None:
    members = ["a-1", "b-2", "c-3", "d-4"]
    assert _assignment(members) == _assignment(list(reversed(members)))


def test_the_owner_is_the_same_in_every_process() -> None:
    """A fixed expectation: a hash salted per process (Python's hash()) would fail it."""
    assert [owner(key, ["a", "b", "c"]) for key in ("x", "y", "z", "uid-1")] == [
        "c",
        "a",
        "c",
        "b",
    ]


def test_objects_are_spread_evenly() -> None:
    for members in (["a", "b"], ["a", "b", "c"], ["r0", "r1", "r2", "r3"]):
        owned = Counter(_assignment(members).values())
        mean = len(KEYS) / len(members)
        assert set(owned) == set(members)
        assert max(owned.values()) / mean < 1.1, owned


def test_a_member_joining_takes_about_its_share_and_nothing_moves_between_the_others() -> None:
    before, after = _assignment(["a", "b"]), _assignment(["a", "b", "c"])
    moved = [key for key in KEYS if before[key] != after[key]]
    assert all(after[key] == "c" for key in moved)  # only to the newcomer
    assert abs(len(moved) / len(KEYS) - 1 / 3) < 0.05


def test_a_member_leaving_gives_away_only_its_own_objects() -> None:
    before, after = _assignment(["a", "b", "c", "d"]), _assignment(["a", "b", "d"])
    moved = {key for key in KEYS if before[key] != after[key]}
    assert moved == {key for key in KEYS if before[key] == "c"}
    assert abs(len(moved) / len(KEYS) - 1 / 4) < 0.05
