"""IAM policy documents compared by meaning, not by spelling. Pure.

IAM hands documents back URL-encoded (boto3 decodes them), reorders nothing it was given and
accepts many spellings of one policy: a Statement object or a list of one, an Action string
or a list, actions in any case, a Sid or none. Comparing normalised documents keeps the
operator from "repairing" a policy that only looks different.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

_CASE_INSENSITIVE_LISTS = frozenset({"Action", "NotAction"})
_LISTS = frozenset({"Resource", "NotResource"})
_PRINCIPALS = frozenset({"Principal", "NotPrincipal"})
_IGNORED = frozenset({"Sid"})
"""A statement's Sid names it; it grants nothing."""


def parse_policy(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy document as IAM or boto3 gives it: a mapping, JSON, or URL-encoded JSON."""
    if isinstance(document, Mapping):
        return dict(document)
    text = document.strip()
    # Plain JSON starts with "{"; URL-encoded JSON with "%7B". Decoding plain JSON would
    # corrupt any literal "%" in it.
    parsed = json.loads(text if text.startswith("{") else unquote(text))
    if not isinstance(parsed, dict):
        raise ValueError("a policy document is a JSON object")
    return parsed


def normalised(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """One spelling per meaning: statements as a sorted list, value lists sorted, actions in
    lower case, principals as type -> sorted list, Sids dropped."""
    policy = parse_policy(document)
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    normal = [_statement(statement) for statement in statements]
    return {
        "Version": policy.get("Version", ""),
        "Statement": sorted(normal, key=lambda s: json.dumps(s, sort_keys=True)),
    }


def same_policy(left: str | Mapping[str, Any], right: str | Mapping[str, Any]) -> bool:
    """Whether two documents say the same thing (see `normalised`)."""
    return normalised(left) == normalised(right)


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _IGNORED:
            continue
        if key in _CASE_INSENSITIVE_LISTS:
            normal[key] = sorted({item.lower() for item in _as_list(value)})
        elif key in _LISTS:
            normal[key] = sorted(set(_as_list(value)))
        elif key in _PRINCIPALS:
            normal[key] = _principal(value)
        elif key == "Condition":
            normal[key] = {
                operator: {name: sorted(set(_as_list(values))) for name, values in clauses.items()}
                for operator, clauses in value.items()
            }
        else:
            normal[key] = value
    return normal


def _principal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {kind: sorted(set(_as_list(names))) for kind, names in value.items()}
    return value  # "*"


def _as_list(value: Any) -> list[Any]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]
