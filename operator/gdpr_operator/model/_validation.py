"""AwsAccount and GdprMonitoring specs checked as the API server checks them: the CRDs'
OpenAPI schemas through jsonschema, then their CEL rules (`x-kubernetes-validations`) through
a CEL interpreter, so that input which never reached a cluster (`audit`, `remediate`,
`agent-config`) is refused exactly where `kubectl apply` would refuse it.

Every problem is one short line naming the field, as "spec.logs.retentionDays: ...".
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import celpy
import jsonschema
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError

from gdpr_operator.model._schema import openapi_schema


class SpecError(ValueError):
    """A spec that cannot be used; `field` is its path, such as spec.logs.retentionDays."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_spec(kind: str, spec: Any) -> None:
    """Raise SpecError for the first way `spec` (defaults applied) breaks `kind`'s schema or
    one of its CEL rules. The rules run only on a spec the schema accepts, as they do in the
    API server, where a rule may rely on the fields the schema guarantees."""
    key = (kind, repr(spec))  # repr tells apart what JSON equality would not: 1, True, "1"
    if key not in _CHECKED:
        if len(_CHECKED) >= _CHECKED_SPECS:
            del _CHECKED[next(iter(_CHECKED))]
        schema = openapi_schema(kind)["properties"]["spec"]
        _CHECKED[key] = first_problem(_spec_validator(kind), spec) or _first_rule_broken(
            schema, spec
        )
    problem = _CHECKED[key]
    if problem is not None:
        field, message = problem
        raise SpecError(_join("spec", field) if field else "spec", message)


_CHECKED: dict[tuple[str, str], tuple[str, str] | None] = {}
"""The outcome of each spec checked lately: the interpreted CEL rules take milliseconds a
spec, and the operator parses the same specs again at every resync."""
_CHECKED_SPECS = 4096


def check_field(kind: str, path: str, value: Any) -> str | None:
    """How `value` breaks the schema and rules of the spec field at dotted `path` (such as
    "logs.groupPrefix"), on one line; None when the API server would take it."""
    schema: Mapping[str, Any] = openapi_schema(kind)["properties"]["spec"]
    for name in path.split("."):
        schema = schema["properties"][name]
    problem = first_problem(json_schema_validator(crd_json_schema(schema)), value)
    problem = problem or _first_rule_broken(schema, value)
    return None if problem is None else problem[1]


@functools.cache
def _spec_validator(kind: str) -> jsonschema.protocols.Validator:
    return json_schema_validator(crd_json_schema(openapi_schema(kind)["properties"]["spec"]))


def crd_json_schema(schema: Any) -> Any:
    """A CRD's structural OpenAPI schema as a strict JSON Schema: objects take only the
    fields they declare, `x-kubernetes-list-type: set` lists hold no duplicate, map lists no
    two items with the same keys; the CEL rules are evaluated apart (they are not JSON
    Schema)."""
    if isinstance(schema, list):
        return [crd_json_schema(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        key: crd_json_schema(value)
        for key, value in schema.items()
        if not key.startswith("x-kubernetes-")
    }
    if schema.get("x-kubernetes-list-type") == "set":
        converted["uniqueItems"] = True
    if "x-kubernetes-list-map-keys" in schema:
        converted[_MAP_KEYS] = schema["x-kubernetes-list-map-keys"]
    if (
        schema.get("type") == "object"
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        converted["additionalProperties"] = False
    return converted


_MAP_KEYS = "listMapKeys"
"""`x-kubernetes-list-map-keys`: no two items of the list with the same keys."""


def _unique_map_keys(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if not isinstance(instance, list):
        return
    seen: set[tuple[str, ...]] = set()
    for item in instance:
        if isinstance(item, dict):
            key = tuple(str(item.get(name)) for name in keys)
            if key in seen:
                entry = ", ".join(f"{n}={v}" for n, v in zip(keys, key, strict=True))
                yield jsonschema.ValidationError(f"holds {entry} twice")
            seen.add(key)


_Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft7Validator, validators={_MAP_KEYS: _unique_map_keys}
)


def json_schema_validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A Draft 7 validator that also knows `crd_json_schema`'s map-list keys."""
    validator: jsonschema.protocols.Validator = _Validator(schema)
    return validator


def first_problem(validator: jsonschema.protocols.Validator, value: Any) -> tuple[str, str] | None:
    """The first way `value` breaks the validator's schema, as (field path, problem), the
    problem on one short line (a 10,000-item list is described, not printed)."""
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    field = _path(error.absolute_path)
    if error.validator == "additionalProperties":
        instance: Any = error.instance
        schema: Any = error.schema
        unknown = sorted(set(instance) - set(schema.get("properties", {})))
        return _join(field, str(unknown[0])), "unknown field"
    if error.validator == "required":
        instance = error.instance
        required: Any = error.validator_value
        missing = next(name for name in required if name not in instance)
        return _join(field, missing), "required"
    return field, _problem(error)


def _problem(error: jsonschema.ValidationError) -> str:
    describe = _PROBLEMS.get(str(error.validator))
    if describe is None:
        message = " ".join(error.message.split())
        return message if len(message) <= 200 else message[:200] + "..."
    return describe(error.instance, error.validator_value)


_PROBLEMS: dict[str, Callable[[Any, Any], str]] = {
    "type": lambda value, wanted: (
        f"must be of type {' or '.join(wanted) if isinstance(wanted, list) else wanted}, "
        f"not {_json_type(value)}"
    ),
    "enum": lambda value, allowed: f"{short(value)} is not one of {allowed}",
    "pattern": lambda value, pattern: f"{short(value)} does not match {pattern!r}",
    "maxItems": lambda value, bound: f"has {len(value):,} item(s), at most {bound} allowed",
    "minItems": lambda value, bound: f"has {len(value):,} item(s), at least {bound} required",
    "maxLength": lambda value, bound: f"is {len(value):,} characters long, at most {bound}",
    "minLength": lambda value, bound: f"is {len(value):,} characters long, at least {bound}",
    "minimum": lambda value, bound: f"{short(value)} is less than the minimum of {bound}",
    "maximum": lambda value, bound: f"{short(value)} is more than the maximum of {bound}",
    "uniqueItems": lambda value, _: "holds the same value twice",
}
"""By JSON Schema keyword: how `value` breaks it, with no more of `value` than fits a line."""


def _first_rule_broken(schema: Mapping[str, Any], value: Any) -> tuple[str, str] | None:
    return next(_rules_broken(schema, value, ()), None)


def _rules_broken(
    schema: Mapping[str, Any], value: Any, at: tuple[str | int, ...]
) -> Iterator[tuple[str, str]]:
    """(field, message) of each CEL rule that `value`, or a value inside it, breaks."""
    for rule in schema.get("x-kubernetes-validations", ()):
        if _TRANSITION.search(rule["rule"]):
            continue  # compares with the stored object: only on update, never on create
        if not _holds(rule["rule"], value):
            where = (*at, *(part for part in rule.get("fieldPath", "").split(".") if part))
            yield _path(where), rule.get("message") or f"failed rule: {rule['rule']}"
    if isinstance(value, dict):
        for name, field in schema.get("properties", {}).items():
            if name in value:
                yield from _rules_broken(field, value[name], (*at, name))
        if isinstance(schema.get("additionalProperties"), dict):
            for name, item in value.items():
                yield from _rules_broken(schema["additionalProperties"], item, (*at, name))
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from _rules_broken(schema["items"], item, (*at, index))


_TRANSITION = re.compile(r"\boldSelf\b")
"""A transition rule: Kubernetes evaluates it only when an update has an old value."""


def _holds(rule: str, value: Any) -> bool:
    """Whether `rule` is true of `value` as `self`; an evaluation error breaks the rule, as
    it makes the API server refuse the object."""
    try:
        result = _program(rule).evaluate({"self": json_to_cel(value)})
    except CELEvalError:
        return False
    return isinstance(result, celtypes.BoolType) and bool(result)


@functools.cache
def _program(rule: str) -> celpy.Runner:
    environment = celpy.Environment()
    return environment.program(environment.compile(rule), functions=_STRING_EXTENSIONS)


def _split(text: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(part) for part in text.split(separator)])


_STRING_EXTENSIONS: dict[str, Callable[..., Any]] = {"split": _split}
"""Of CEL's string extension library, which Kubernetes enables, what the CRDs' rules use
beyond the standard functions."""


def _path(parts: Sequence[Any]) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, str(part))
    return path


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "a value")


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def short(value: Any) -> str:
    """A repr of `value` that stays short and on one line whatever its size."""
    return _SHORT.repr(value)
