"""IAM permissions as components declare them: actions with the resources and condition they
are scoped to. scripts/generate-iam-policy renders each `Grant` as one statement of the
operator's policy (deploy/iam/), so the code that makes a call also says how narrowly AWS
should allow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ConditionValues = str | tuple[str, ...]
Condition = Mapping[str, Mapping[str, ConditionValues]]
"""An IAM Condition block: operator -> condition key -> value(s)."""

ANY_RESOURCE = ("*",)


@dataclass(frozen=True, slots=True)
class Grant:
    """Write actions allowed on `resources` under `condition`: one policy statement."""

    sid: str
    actions: frozenset[str]
    resources: tuple[str, ...]
    why: str
    """What it lets the operator do, and why no narrower: for deploy/iam/README.md."""
    condition: Condition = field(default_factory=dict)

    def statement(self) -> dict[str, object]:
        """The policy statement, as IAM takes it."""
        statement: dict[str, object] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": self.resources[0]
            if self.resources == ANY_RESOURCE
            else list(self.resources),
        }
        if self.condition:
            statement["Condition"] = {
                operator: {
                    key: list(value) if isinstance(value, tuple) else value
                    for key, value in clauses.items()
                }
                for operator, clauses in self.condition.items()
            }
        return statement
