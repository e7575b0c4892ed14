"""One shape for every component's diff: a `Delta` says what is wrong with one resource, check
by check, together with the calls that fix all of it; `settle` applies it and builds every
check result. Read actual, compute one delta, apply only that delta."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.aws import AwsError, PermanentAwsError, Target
from gdpr_operator.model import Action, CheckInfo, CheckResult
from gdpr_operator.reconcilers._access import AwsWrites
from gdpr_operator.reconcilers._targets import iam_target


class NotOwnedError(Exception):
    """A repair found that what it would change is not the operator's: nothing was written."""

    reason = "NotOwned"


@dataclass(frozen=True, slots=True)
class Call:
    """One write of a repair."""

    service: str
    operation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    account_wide: bool = False
    """Sent to the account's IAM target (IAM is global), whatever region the delta is about."""
    once: bool = False
    """Made once per pass and target however many deltas carry it (an account-wide call once
    per account): a policy attached to a role that instances in several regions share."""
    failed_items: str = ""
    """The reply key where a batch call lists what it could not make (EC2's
    UnsuccessfulItem list, CreateFlowLogs' `Unsuccessful`): the repair fails with the first
    item's error, as if the call had."""
    owned: tuple[str, str] | None = None
    """(kind, id) of an existing resource the call changes that must be found the operator's
    right before it is made, when only a read shows it (an SSM parameter's tags): settle's
    `verify` reads it and raises NotOwnedError if it is not. None: nothing to verify."""

    @classmethod
    def iam(cls, operation: str, **params: Any) -> Call:
        """An IAM call: account-wide, as IAM is global."""
        return cls("iam", operation, params, account_wide=True)

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two calls the same call, for `once`."""
        return (self.service, self.operation, repr(sorted(self.params.items())))


@dataclass(frozen=True, slots=True)
class Delta:
    """What is wrong with one resource, check by check, and the calls that fix all of it.

    A check whose problem is None is compliant. The first of `left_alone`, `not_repairable`,
    `blocked` and `waits` that is set says why the calls are not made and what the failing
    results say instead; with none set, Enforce makes `calls` in order (none: another pass
    or component repairs it) and Observe reports them as would-remediate.
    """

    resource: str
    problems: Mapping[CheckInfo, str | None]
    calls: Sequence[Call] = ()
    left_alone: str = ""
    """The resource is not the operator's to change: failing results say why, action none."""
    not_repairable: str = ""
    """No write of this account can fix it (a GuardDuty member account): action none."""
    blocked: bool = False
    """A repair this one needs failed first (no detector to configure): Enforce reports it
    failed, Observe would remediate."""
    waits: bool = False
    """No write repairs it now: it waits on something under way or outside the operator
    (State Manager has yet to run on the instance): failing results keep their reason,
    action none."""
    note: str = ""
    """What a compliant result says instead of "compliant" (what it is compliant by)."""

    @property
    def wrong(self) -> bool:
        return any(self.problems.values())


Verify = Callable[[tuple[str, str]], Awaitable[None]]
"""Raises NotOwnedError unless the resource a call names in `owned`, (kind, id), is the
operator's."""


async def _unverified(owned: tuple[str, str]) -> None:
    raise NotOwnedError(f"{owned[0]} {owned[1]}: nothing verifies that it is the operator's")


async def settle(
    write: AwsWrites,
    target: Target,
    delta: Delta,
    *,
    enforce: bool,
    verify: Verify = _unverified,
) -> list[CheckResult]:
    """Results for `delta` in `target`, its calls made first when Enforce may repair it.

    A failed call (an AWS error, a refused or partial write, or NotOwnedError when what it
    would change turns out not to be the operator's) ends the repair there and marks the
    failing results failed, naming the error.
    """
    action, suffix, not_repairable = Action.WOULD_REMEDIATE, "", ""
    if not delta.wrong:
        pass
    elif delta.left_alone:
        action, suffix = Action.NONE, f"; {delta.left_alone}"
    elif delta.not_repairable:
        action, not_repairable = Action.NONE, delta.not_repairable
    elif delta.blocked:
        action = Action.FAILED if enforce else Action.WOULD_REMEDIATE
    elif delta.waits:
        action = Action.NONE
    elif enforce and delta.calls:
        try:
            for call in delta.calls:
                if call.owned is not None:
                    await verify(call.owned)
                await _make(write, target, call)
            action = Action.REMEDIATED
        except (AwsError, NotOwnedError) as error:
            action, suffix = Action.FAILED, f"; repair failed: {error.reason}: {error}"
    return [
        CheckResult(
            check=check.id,
            account=target.account,
            region=target.region,
            resource=delta.resource,
            compliant=problem is None,
            reason=(problem + suffix) if problem else (delta.note or "compliant"),
            action=action if problem else Action.NONE,
            not_repairable=not_repairable if problem else "",
        )
        for check, problem in delta.problems.items()
    ]


async def settle_all(
    write: AwsWrites,
    target: Target,
    deltas: Sequence[Delta],
    *,
    enforce: bool,
    verify: Verify = _unverified,
) -> list[CheckResult]:
    """`settle` for each delta in turn: the results of all, in order."""
    results: list[CheckResult] = []
    for delta in deltas:
        results += await settle(write, target, delta, enforce=enforce, verify=verify)
    return results


async def _make(write: AwsWrites, target: Target, call: Call) -> None:
    where = iam_target(target) if call.account_wide else target
    params = dict(call.params)
    if call.once:  # once per target: the same parameters in two regions are two calls
        reply = await write.once((where, call.key), where, call.service, call.operation, **params)
    else:
        reply = await write.call(where, call.service, call.operation, **params)
    for item in reply.get(call.failed_items, []) if call.failed_items else []:
        error = item.get("Error", {})
        raise PermanentAwsError(
            error.get("Message", "not made"),
            service=call.service,
            operation="".join(word.title() for word in call.operation.split("_")),
            code=error.get("Code", ""),
        )
