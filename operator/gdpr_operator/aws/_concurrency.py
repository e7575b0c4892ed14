"""Bounded concurrency, and isolation of one target's failure from the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from ._errors import AwsError, TemporaryAwsError

K = TypeVar("K")
T = TypeVar("T")


class Limits:
    """A global limit on calls in flight, and one per (account, service).

    The per-(account, service) slot is taken first, so that a throttled account waiting for
    its own slots does not sit on global ones.
    """

    def __init__(self, total: int, per_account_service: int) -> None:
        self._total = asyncio.Semaphore(total)
        self._per_account_service = per_account_service
        self._by_account_service: dict[tuple[str, str], asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, account: str, service: str) -> AsyncIterator[None]:
        own = self._by_account_service.get((account, service))
        if own is None:
            own = self._by_account_service[(account, service)] = asyncio.Semaphore(
                self._per_account_service
            )
        async with own, self._total:
            yield


@dataclass(frozen=True, slots=True)
class TargetOutcome(Generic[K, T]):
    """What came of the work for one target: a value, or the AwsError that stopped it."""

    target: K
    value: T | None = None
    error: AwsError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def gather_outcomes(
    targets: Iterable[K],
    work: Callable[[K], Awaitable[T]],
    *,
    timeout_per_target: float,
    targets_in_flight: int = 16,
    turns: asyncio.Semaphore | None = None,
) -> list[TargetOutcome[K, T]]:
    """Run `work` for every target, `targets_in_flight` at a time; one outcome per target,
    in order.

    An AwsError, or no answer within `timeout_per_target` seconds of the target's start,
    becomes that target's error outcome while the others complete. Any other exception is
    a bug: it is raised once all are done. Targets wait for a turn before their clock starts,
    and so that what a target holds while it runs (clients, paginators) stays bounded.
    `turns`, when given, are the turns instead: shared with other gatherings (a whole pass's,
    say), `targets_in_flight` is then unused.
    """
    if turns is None:
        turns = asyncio.Semaphore(targets_in_flight)

    async def one(target: K) -> TargetOutcome[K, T]:
        async with turns:
            try:
                async with asyncio.timeout(timeout_per_target):
                    return TargetOutcome(target, value=await work(target))
            except TimeoutError:
                return TargetOutcome(
                    target,
                    error=TemporaryAwsError(
                        f"no answer within {timeout_per_target:g}s",
                        service="",
                        operation="",
                        reason="Timeout",
                    ),
                )
            except AwsError as error:
                return TargetOutcome(target, error=error)

    results = await asyncio.gather(*(one(t) for t in targets), return_exceptions=True)
    outcomes: list[TargetOutcome[K, T]] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        outcomes.append(result)
    return outcomes
