"""Check results: the one shape every observation takes (see the check catalog)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

GLOBAL_REGION = "global"
"""The region of checks about global services such as IAM."""


class Action(enum.StrEnum):
    """What the operator did about a check."""

    NONE = "none"
    REMEDIATED = "remediated"
    WOULD_REMEDIATE = "would_remediate"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One observation: is `resource` compliant with `check` in `account`/`region`, and why.

    `compliant` is what was observed; `action` is what this pass did about it.
    """

    check: str
    account: str
    region: str
    resource: str
    compliant: bool
    reason: str
    action: Action = Action.NONE
    not_repairable: str = ""
    """Why the operator never repairs this result, where that is so by the check's nature or
    by the spec (an observe-only audit check, whenOtherProfileAttached: Report, a GuardDuty
    member account); empty when a repair, its own or one of the checks it follows from
    (SSM registration, the agent, logs arriving), can bring it."""

    @property
    def passing(self) -> bool:
        """Compliant now: found compliant, or repaired by this pass."""
        return self.compliant or self.action is Action.REMEDIATED

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What the result is about, the same from one pass to the next."""
        return (self.check, self.account, self.region, self.resource)

    def to_dict(self) -> dict[str, str | bool]:
        return {
            "check": self.check,
            "account": self.account,
            "region": self.region,
            "resource": self.resource,
            "compliant": self.compliant,
            "reason": self.reason,
            "action": self.action.value,
        }


SEVERITIES = ("low", "medium", "high", "critical")
"""GuardDuty's severity bands, lowest first."""


@dataclass(frozen=True, slots=True)
class FindingCount:
    """Unarchived GuardDuty findings of one severity in one account and region."""

    account: str
    region: str
    severity: str
    """One of SEVERITIES."""
    count: int


@dataclass(frozen=True, slots=True)
class LogIngestion:
    """When events last arrived in one log group (CloudWatch Logs' lastIngestionTime)."""

    account: str
    region: str
    log_group: str
    last_event_seconds: float | None
    """Seconds since the epoch; None when no event has arrived yet."""
