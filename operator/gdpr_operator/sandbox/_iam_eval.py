"""IAM identity-policy evaluation, as AWS's policy evaluation logic decides one request.

A request (`Authorization`: action, resource ARN, request context) is allowed when some Allow
statement of the caller's policies matches it and no Deny statement does: an explicit Deny
wins over any Allow, and what nothing allows is denied (implicitly). A statement matches
when its Action (or NotAction), its Resource (or NotResource) and every condition of its
Condition block do.

- Actions match case-insensitively, with `*` and `?` wildcards; resources case-sensitively,
  segment by segment of the ARN (a wildcard does not cross a `:` before the resource part,
  and `*` alone matches anything). IAM paths are part of the resource (`role/gdpr-operator/x`).
- Condition operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
  ArnNotLike, Null and Bool; each with the `ForAllValues:` / `ForAnyValue:` prefixes and the
  `IfExists` suffix. Several values for a key match when any does; a negated operator
  matches when none does. A key absent from the request fails a positive operator, satisfies
  a negated one, `IfExists` and `ForAllValues:`, and fails `ForAnyValue:`. Keys are
  case-insensitive.
- Anything else (another operator, policy variables, Principal) is not evaluated: an unknown
  operator raises `PolicyError`, so a policy this module cannot read is never taken to allow.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ContextValue = str | Sequence[str]


class PolicyError(ValueError):
    """A policy this evaluator does not understand."""


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True, slots=True)
class Authorization:
    """One action on one resource, with the request context AWS would evaluate it in."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def values(self, key: str) -> tuple[str, ...] | None:
        """The context's values for `key` (case-insensitive); None when absent."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return (value,) if isinstance(value, str) else tuple(value)
        return None


def decide(policies: Iterable[Mapping[str, Any]], request: Authorization) -> Decision:
    """What AWS decides for `request` under the caller's identity `policies`."""
    allowed = False
    for policy in policies:
        for statement in _listed(policy.get("Statement", [])):
            if not _matches(statement, request):
                continue
            effect = statement.get("Effect")
            if effect == "Deny":
                return Decision.EXPLICIT_DENY
            if effect != "Allow":
                raise PolicyError(f"statement Effect must be Allow or Deny, not {effect!r}")
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _matches(statement: Mapping[str, Any], request: Authorization) -> bool:
    return (
        _element(statement, "Action", lambda p: _action_matches(p, request.action))
        and _element(statement, "Resource", lambda p: _arn_matches(p, request.resource))
        and _conditions_hold(statement.get("Condition", {}), request)
    )


def _element(statement: Mapping[str, Any], name: str, matches: Callable[[str], bool]) -> bool:
    """Whether `name` (or Not`name`) of the statement admits the request."""
    if name in statement:
        return any(matches(str(p)) for p in _listed(statement[name]))
    negated = f"Not{name}"
    if negated in statement:
        return not any(matches(str(p)) for p in _listed(statement[negated]))
    raise PolicyError(f"statement has neither {name} nor {negated}")


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _action_matches(pattern: str, action: str) -> bool:
    return _like(pattern, action, ignore_case=True)


def _arn_matches(pattern: str, arn: str) -> bool:
    """ARN matching as IAM does it: per segment (partition, service, region, account), then
    the resource part; `*` alone matches every resource."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(given) == 6 and all(
        _like(w, g) for w, g in zip(wanted, given, strict=True)
    )


def _string_equals(pattern: str, value: str) -> bool:
    return pattern == value


def _string_equals_ignore_case(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


def _bool_equals(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


_COMPARISONS: Mapping[str, Callable[[str, str], bool]] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringLike": _like,
    "ArnEquals": _arn_matches,
    "ArnLike": _arn_matches,
    "Bool": _bool_equals,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_FOR_ALL, _FOR_ANY = "ForAllValues:", "ForAnyValue:"


def _conditions_hold(block: Mapping[str, Mapping[str, Any]], request: Authorization) -> bool:
    """Every operator of the block, every key of each: all must hold."""
    return all(
        _condition_holds(operator, key, [str(v) for v in _listed(expected)], request)
        for operator, clauses in block.items()
        for key, expected in clauses.items()
    )


def _condition_holds(operator: str, key: str, expected: list[str], request: Authorization) -> bool:
    name, set_operator = operator, None
    for prefix in (_FOR_ALL, _FOR_ANY):
        if name.startswith(prefix):
            name, set_operator = name.removeprefix(prefix), prefix
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    values = request.values(key)
    if name == "Null":
        if set_operator is not None or if_exists:
            raise PolicyError(f"{operator} is not a condition operator")
        return (values is None) == (expected[0].lower() == "true")
    negated = name in _NEGATED
    comparison = _COMPARISONS.get(_NEGATED.get(name, name))
    if comparison is None:
        raise PolicyError(f"condition operator {operator} is not evaluated by the sandbox")

    def one_matches(value: str) -> bool:
        matched = any(comparison(pattern, value) for pattern in expected)
        return not matched if negated else matched

    if set_operator == _FOR_ALL:
        return values is None or all(one_matches(v) for v in values)
    if set_operator == _FOR_ANY:
        return values is not None and any(one_matches(v) for v in values)
    if values is None:
        return if_exists or negated
    return any(one_matches(v) for v in values)
