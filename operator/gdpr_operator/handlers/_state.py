"""What the handlers keep between calls, in kopf's memo: `OperatorMemo`.

kopf gives each object's handlers a copy of the memo it was started with, made with
`copy.copy` when it first sees the object. `OperatorMemo.__copy__` makes that copy share the
operator-wide part (`shared`) and start a fresh part of its own (`state`): what one
GdprMonitoring's handlers remember never reaches another's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import kopf

from gdpr_operator.handlers._clock import SYSTEM_CLOCK, Clock
from gdpr_operator.report import RecentRepairs

if TYPE_CHECKING:
    from gdpr_operator.aws import Aws
    from gdpr_operator.engine import DriftCause, Outcome
    from gdpr_operator.handlers._accounts import AccountChecks
    from gdpr_operator.handlers._config import OperatorConfig
    from gdpr_operator.handlers._drift_events import DriftInbox
    from gdpr_operator.model import AwsAccountSpec


@dataclass
class ObjectState:
    """What this process remembers of one object between its handlers' calls."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Change handlers, the timer and deletion run concurrently in kopf: one at a time."""
    last_pass: tuple[int, float] | None = None
    """(generation, the clock's monotonic()) of this process's last complete full pass (a
    targeted pass leaves it: the resync counts from it); None before the first, and once
    the object went to another replica."""
    jitter: float | None = None
    """This cycle's factor of the resync interval; None until the timer first needs it."""
    failures_in_a_row: int = 0
    """Passes in a row that AWS errors cut short."""
    accounts_seen: tuple[AwsAccountSpec | None, ...] | None = None
    """The AwsAccounts the last pass's spec named, as they were then."""
    last_outcome: tuple[int, Outcome] | None = None
    """(generation, outcome) of this process's last complete pass, full or merged: what a
    targeted pass merges into. One per object; None with `last_pass`."""
    wake_accepted_at: float | None = None
    """Sharded mode: the time of the last wake whose carried causes were accepted."""
    causes_counted: set[DriftCause] = field(default_factory=set)
    """The carried causes already taken (for `MAX_AGE_SECONDS`): a wake carries again the
    causes of the wakes just before it."""
    recent_repairs: RecentRepairs = field(default_factory=RecentRepairs)
    """What recent passes repaired that no change was attributed yet: a change's event
    arriving after another pass set it back still names who made it."""


@dataclass(frozen=True, slots=True)
class Services:
    """What the operator's startup creates, and its cleanup stops."""

    aws: Aws
    account_checks: AccountChecks
    drift_inbox: DriftInbox
    tasks: tuple[asyncio.Task[None], ...]


@dataclass
class SharedState:
    """The same for every object's handlers."""

    config: OperatorConfig
    clock: Clock = SYSTEM_CLOCK
    services: Services | None = None
    """Set by the startup handler, before kopf runs any handler of an object."""

    @property
    def running(self) -> Services:
        if self.services is None:
            raise RuntimeError("the operator's services are used before its startup")
        return self.services


class OperatorMemo(kopf.Memo):
    """kopf's memo: `shared` by every object's handlers, `state` each object's own."""

    shared: SharedState
    state: ObjectState

    def __init__(self, shared: SharedState) -> None:
        super().__init__(shared=shared, state=ObjectState())

    def __copy__(self) -> OperatorMemo:
        """kopf's memo of a newly seen object."""
        return OperatorMemo(self.shared)
