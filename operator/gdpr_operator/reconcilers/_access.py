"""How reconcilers reach AWS: reads through `AwsReads`, every write through `AwsWrites`.

The two are separate objects so that a write cannot pass for a read. `AwsReads` refuses any
operation that is not a read (by its IAM action: Describe*, Get*, List*). `AwsWrites` asks its
guard before every single call whether the write may still go out: the engine's guard says no
in Observe, and as soon as the operator has seen that the AwsAccount no longer binds the
namespace or changed (another role, say), whatever the pass had started. A refused write
raises `WriteRefusedError`, which ends the component's work in that target; nothing after it
is sent either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target, is_read_operation

WriteGuard = Callable[[Target], None]
"""Raises WriteRefusedError when a write into the target may not go out (now)."""


class WriteRefusedError(Exception):
    """A write that may not be made: `reason` is CamelCase, for conditions."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class WriteOutsideWritePathError(Exception):
    """A reconciler asked `AwsReads` to make a call that is not a read: a bug."""


class AwsReads:
    """Read-only calls for reconcilers: the layer's `call`, `paginate` and `regions`, for
    operations that only read."""

    def __init__(self, aws: Aws) -> None:
        self._aws = aws

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        _require_read(service, operation)
        return await self._aws.call(target, service, operation, **params)

    def paginate(
        self, target: Target, service: str, operation: str, **params: Any
    ) -> AsyncIterator[Any]:
        _require_read(service, operation)
        return self._aws.paginate(target, service, operation, **params)

    async def regions(self, access: AccountAccess, requested: Sequence[str]) -> list[str]:
        return await self._aws.regions(access, requested)


class AwsWrites:
    """The only way reconcilers change AWS: each call asks the guard first."""

    def __init__(self, aws: Aws, guard: WriteGuard) -> None:
        self._aws = aws
        self._guard = guard
        self._once: dict[Hashable, asyncio.Task[Any]] = {}

    def fresh(self) -> AwsWrites:
        """The same write path, with nothing done once yet (for another pass)."""
        return AwsWrites(self._aws, self._guard)

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        self._guard(target)
        return await self._aws.call(target, service, operation, **params)

    async def in_order(
        self, target: Target, service: str, calls: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """`calls` (operation, parameters) one after the other, each once the one before it
        succeeded: a role before its policy or profile."""
        for operation, params in calls:
            await self.call(target, service, operation, **params)

    async def once(
        self, key: Hashable, target: Target, service: str, operation: str, **params: Any
    ) -> Any:
        """`call`, made once per pass for `key` however many targets ask for it at once."""
        task = self._once.get(key)
        if task is None:
            task = self._once[key] = asyncio.ensure_future(
                self.call(target, service, operation, **params)
            )
        return await asyncio.shield(task)


def refuse_in_observe(enforce: bool) -> WriteGuard:
    """The guard of a pass without a binding to check (tests, tools): Observe writes nothing."""

    def guard(target: Target) -> None:
        if not enforce:
            raise WriteRefusedError(
                "ObserveOnly", f"managementPolicy Observe makes no write ({target})"
            )

    return guard


def _require_read(service: str, operation: str) -> None:
    if not is_read_operation(service, operation):
        raise WriteOutsideWritePathError(
            f"{service}.{operation} is not a read: reconcilers write through AwsWrites only"
        )
