"""Passes over an object that moved to another replica are abandoned: they write nothing."""

from __future__ import annotations

import asyncio

import pytest

from gdpr_operator.handlers._owned import Ownership
from gdpr_operator.handlers._shards import Membership, ShardSettings


class _Owning(Membership):
    """A membership whose objects are set by the test."""

    def __init__(self) -> None:
        super().__init__(ShardSettings("ns", "me"), api=None)  # type: ignore[arg-type]
        self.mine: set[str] = set()

    def owns(self, uid: str) -> bool:
        return uid in self.mine


async def test_without_sharding_every_object_is_ours() -> None:
    ownership = Ownership()
    assert not ownership.sharded
    assert ownership.owns("any")
    assert await ownership.run("any", asyncio.sleep(0, result="done")) == "done"


async def test_a_pass_over_an_object_that_moved_is_cancelled_and_returns_nothing() -> None:
    membership = _Owning()
    membership.mine = {"a", "b"}
    ownership = Ownership(membership)
    started = asyncio.Event()

    async def long_pass() -> str:
        started.set()
        await asyncio.sleep(30)
        return "written"

    moving = asyncio.create_task(ownership.run("a", long_pass()))
    staying = asyncio.create_task(ownership.run("b", asyncio.sleep(0.2, result="kept")))
    await started.wait()
    membership.mine = {"b"}
    ownership.abandon_lost()
    assert await asyncio.wait_for(moving, 2) is None
    assert await staying == "kept"


async def test_a_handler_cancelled_from_outside_stays_cancelled() -> None:
    """kopf cancelling a handler (shutdown) is not an abandoned pass."""
    membership = _Owning()
    membership.mine = {"a"}
    ownership = Ownership(membership)
    handler = asyncio.create_task(ownership.run("a", asyncio.sleep(30)))
    await asyncio.sleep(0.05)
    handler.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handler


def test_metrics_are_exported_only_for_objects_owned_by_name() -> None:
    membership = _Owning()
    membership.mine = {"uid-1"}
    ownership = Ownership(membership)
    ownership.remember("ns", "web", "uid-1")
    ownership.remember("ns", "db", "uid-2")
    assert ownership.owns_named("ns", "web")
    assert not ownership.owns_named("ns", "db")
    assert not ownership.owns_named("ns", "never-passed")
    ownership.forget("ns", "web")
    assert not ownership.owns_named("ns", "web")
