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
    """One observation: is `resource` compliant with `check` in `account`/`region`, and why."""

    check: str
    account: str
    region: str
    resource: str
    compliant: bool
    reason: str
    action: Action = Action.NONE

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
