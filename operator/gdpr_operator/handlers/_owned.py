"""What this replica may act on, and the passes it must abandon when it loses an object.

Without sharding every object is this replica's (it leads, or runs alone). In sharded mode
`Membership.owns` decides, and a pass over an object that moved to another replica is
cancelled as soon as this replica's view of the members shows it: it writes nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from gdpr_operator.handlers._shards import Membership

T = TypeVar("T")

logger = logging.getLogger(__name__)


class Ownership:
    def __init__(self, membership: Membership | None = None) -> None:
        self.membership = membership
        self._passes: dict[str, asyncio.Task[Any]] = {}
        self._abandoned: set[str] = set()
        self._names: dict[tuple[str, str], str] = {}

    @property
    def sharded(self) -> bool:
        return self.membership is not None

    def owns(self, uid: str) -> bool:
        return self.membership is None or self.membership.owns(uid)

    def owns_named(self, namespace: str, name: str) -> bool:
        """By the name a pass last recorded for the object (metrics know only names)."""
        uid = self._names.get((namespace, name))
        return uid is not None and self.owns(uid)

    def remember(self, namespace: str, name: str, uid: str) -> None:
        self._names[namespace, name] = uid

    def forget(self, namespace: str, name: str) -> None:
        self._names.pop((namespace, name), None)

    async def run(self, uid: str, work: Coroutine[Any, Any, T]) -> T | None:
        """`work`'s result, or None when it was abandoned because `uid` moved away."""
        task = asyncio.ensure_future(work)
        self._passes[uid] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if uid in self._abandoned and not (current and current.cancelling()):
                return None
            raise
        finally:
            self._abandoned.discard(uid)
            if self._passes.get(uid) is task:
                del self._passes[uid]

    def abandon_lost(self) -> None:
        """Cancel the passes over objects this replica no longer owns (on its event loop)."""
        for uid, task in list(self._passes.items()):
            if not task.done() and not self.owns(uid):
                logger.info("Abandoning the pass over %s: it moved to another replica", uid)
                self._abandoned.add(uid)
                task.cancel()
