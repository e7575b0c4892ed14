"""Hypothesis strategies for values valid under a CRD's structural OpenAPI schema.

Covers what our CRDs use: objects (optional fields drawn or left to their defaults),
string enums and patterns, length bounds, integer enums and bounds, booleans, arrays (sets
when x-kubernetes-list-type is set) and string maps (additionalProperties). CEL rules are
not modelled: the engine must cope with what only the API server would refuse.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema)
    if kind == "array":
        items = values(schema["items"])
        unique = schema.get("x-kubernetes-list-type") == "set"
        return st.lists(
            items,
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 4), 4),
            unique=unique,
        )
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum", 0), schema.get("maximum", 10_000))
    if kind == "boolean":
        return st.booleans()
    raise NotImplementedError(f"no strategy for {schema}")


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if "additionalProperties" in schema:
        low = schema.get("minProperties", 0)
        return st.dictionaries(
            st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z"),
            values(schema["additionalProperties"]),
            min_size=low,
            max_size=max(low, min(schema.get("maxProperties", 3), 3)),
        )
    required = set(schema.get("required", []))
    fields = {name: values(field) for name, field in schema.get("properties", {}).items()}
    return st.fixed_dictionaries(
        {name: strategy for name, strategy in fields.items() if name in required},
        optional={name: strategy for name, strategy in fields.items() if name not in required},
    )


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 64)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda text: low <= len(text) <= high
        )
    return st.text(min_size=low, max_size=min(high, 64))
