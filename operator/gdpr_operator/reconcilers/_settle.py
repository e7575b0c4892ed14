"""From observed problems to check results: one rule for every component."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from gdpr_operator.aws import AwsError, Target
from gdpr_operator.model import Action, CheckInfo, CheckResult
from gdpr_operator.reconcilers._delta import NotOwnedError

__all__ = ["NotOwnedError", "left_alone", "settle"]


async def settle(
    target: Target,
    region: str,
    problems: Mapping[CheckInfo, str | None],
    resource: str,
    *,
    enforce: bool,
    apply: Callable[[], Awaitable[object]] | None,
) -> list[CheckResult]:
    """Results for `problems` (check -> what is wrong, or None when compliant).

    In Enforce mode `apply` (which repairs every problem at once) runs when something is
    wrong; its failure (an AWS error, or NotOwnedError when what it would change turns out
    not to be the operator's) marks the repairs failed, naming the error. Observe never
    calls it.
    """
    wrong = [check for check, problem in problems.items() if problem]
    action = Action.WOULD_REMEDIATE
    failure = ""
    if wrong and enforce and apply is not None:
        try:
            await apply()
            action = Action.REMEDIATED
        except (AwsError, NotOwnedError) as error:
            action, failure = Action.FAILED, f"; repair failed: {error.reason}: {error}"
    return [
        CheckResult(
            check=check.id,
            account=target.account,
            region=region,
            resource=resource,
            compliant=problem is None,
            reason=(problem + failure) if problem else "compliant",
            action=action if problem else Action.NONE,
        )
        for check, problem in problems.items()
    ]


def left_alone(results: list[CheckResult], why: str) -> list[CheckResult]:
    """Results about a resource the operator may not change: each failing one says why it is
    left as it is, with action none (no pass would repair it)."""
    return [
        result
        if result.compliant
        else replace(result, reason=f"{result.reason}; {why}", action=Action.NONE)
        for result in results
    ]
