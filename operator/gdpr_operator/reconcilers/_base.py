"""What every component reconciler provides: observe, compute a pure diff, apply only that."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from gdpr_operator.aws import Aws, Target
from gdpr_operator.model import (
    CheckInfo,
    CheckResult,
    FindingCount,
    LogIngestion,
    MonitoringSpec,
)

T = TypeVar("T")


class PassCache:
    """Each key's read runs once per pass, however many targets ask for it concurrently."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[Any]] = {}

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.ensure_future(read())
        result: T = await asyncio.shield(task)
        return result


@dataclass(frozen=True, slots=True)
class Context:
    """What a reconcile pass knows besides its target."""

    aws: Aws
    spec: MonitoringSpec
    owner: str
    """The GdprMonitoring as "namespace/name", tagged on everything the operator creates."""
    reads: PassCache = field(default_factory=PassCache)
    """Reads shared by the pass's targets (an IAM role read once, not once per region)."""


@dataclass(frozen=True, slots=True)
class ComponentReport:
    """One component's findings for one target."""

    results: Sequence[CheckResult] = ()
    findings: Sequence[FindingCount] = ()
    ingestion: Sequence[LogIngestion] = ()
    released: Sequence[str] = ()
    """What a release removed, described for people."""


def declared_actions(checks: Sequence[CheckInfo], *extra: frozenset[str]) -> frozenset[str]:
    """A component's IAM actions: its checks' and any of its own (findings, release)."""
    return frozenset[str]().union(*(check.iam_actions for check in checks), *extra)


class Reconciler(Protocol):
    """A component (GuardDuty, instance profiles, ...): its checks and how to run them."""

    @property
    def component(self) -> str:
        """CamelCase name, used as the component's condition type."""

    @property
    def checks(self) -> Sequence[CheckInfo]:
        """The checks it reports, with their GDPR articles and IAM actions."""

    @property
    def iam_actions(self) -> frozenset[str]:
        """Every IAM action it calls: its checks' and any of its own (findings, release)."""

    @property
    def global_scope(self) -> bool:
        """True when it runs once per account (region GLOBAL_REGION), not once per region."""

    def applies_to(self, spec: MonitoringSpec) -> bool:
        """Whether this spec asks for the component at all."""

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        """Observe, diff and (in Enforce mode) apply; one result per check and resource."""

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """deletionPolicy Delete: remove only what the operator created for this owner."""
