"""Where kopf keeps an object's last handled spec in sharded mode: in this process only.

kopf stores it after every change, handled or skipped; in the object's annotations, a
replica that does not own the object would write it there and hide the change from the
owner. Kept in memory, each replica sees each change itself; after a restart, every object
counts as new once (as after a resume)."""

from __future__ import annotations

import copy

import kopf


class MemoryDiffBaseStorage(kopf.DiffBaseStorage):
    def __init__(self) -> None:
        super().__init__()
        self._essences: dict[str, kopf.BodyEssence] = {}

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return self._essences.get(body.metadata.uid or "")

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        self._essences[body.metadata.uid or ""] = copy.deepcopy(essence)

    def forget(self, uid: str) -> None:
        """The object is gone: nothing to compare with any more."""
        self._essences.pop(uid, None)
