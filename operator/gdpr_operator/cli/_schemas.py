"""JSON Schemas of the objects `audit` and `remediate` read, strict as the API server's field
validation is (`kubectl apply --validate=strict`): an unknown or duplicate field is an error.

AwsAccount and GdprMonitoring come from the CRDs' OpenAPI schemas; ObjectMeta, Secret and
List are written out here (a test compares them with the API server's own OpenAPI).
"""

from __future__ import annotations

import functools
import reprlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jsonschema

from gdpr_operator.model import openapi_schema

_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_DNS_SUBDOMAIN = {
    "type": "string",
    "maxLength": 253,
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
_DNS_LABEL = {"type": "string", "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
_TIME = {"type": ["string", "null"]}


def _strict(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False, **extra}


OBJECT_META = _strict(
    {
        "name": _DNS_SUBDOMAIN,
        "generateName": {"type": "string"},
        "namespace": _DNS_LABEL,
        "selfLink": {"type": "string"},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": _TIME,
        "deletionTimestamp": _TIME,
        "deletionGracePeriodSeconds": {"type": "integer"},
        "labels": _STRINGS,
        "annotations": _STRINGS,
        "ownerReferences": {
            "type": "array",
            "items": _strict(
                {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
                required=["apiVersion", "kind", "name", "uid"],
            ),
        },
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "managedFields": {
            "type": "array",
            "items": _strict(
                {
                    "manager": {"type": "string"},
                    "operation": {"type": "string"},
                    "apiVersion": {"type": "string"},
                    "time": _TIME,
                    "fieldsType": {"type": "string"},
                    "fieldsV1": {"type": "object"},
                    "subresource": {"type": "string"},
                }
            ),
        },
    },
    required=["name"],
)
"""What `kubectl get -o yaml` may print in metadata; a name is required (no generateName)."""

LIST_META = _strict(
    {
        "selfLink": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "continue": {"type": "string"},
        "remainingItemCount": {"type": ["integer", "null"]},
    }
)

_TYPE_META = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}

SECRET = _strict(
    {
        **_TYPE_META,
        "metadata": OBJECT_META,
        "data": {
            **_STRINGS,
            "propertyNames": {"maxLength": 253, "pattern": r"^[-._a-zA-Z0-9]+$"},
        },
        "stringData": {
            **_STRINGS,
            "propertyNames": {"maxLength": 253, "pattern": r"^[-._a-zA-Z0-9]+$"},
        },
        "type": {"type": "string"},
        "immutable": {"type": "boolean"},
    },
    required=["metadata"],
)

LIST = _strict(
    {**_TYPE_META, "metadata": LIST_META, "items": {"type": "array", "items": {"type": "object"}}},
    required=["items"],
)
"""`kind: List`, what `kubectl get -o yaml` prints for several objects."""


def crd_json_schema(schema: Any) -> Any:
    """A CRD's structural OpenAPI schema as a strict JSON Schema: objects take only the
    fields they declare, `x-kubernetes-list-type: set` lists hold no duplicate, and the
    other Kubernetes extensions (CEL rules among them) are left to the API server."""
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


@functools.cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """For AwsAccount, GdprMonitoring, Secret or List."""
    if kind == "Secret":
        schema = SECRET
    elif kind == "List":
        schema = LIST
    else:
        crd = crd_json_schema(openapi_schema(kind))
        schema = {**crd, "properties": {**crd["properties"], "metadata": OBJECT_META}}
    validator: jsonschema.protocols.Validator = _Validator(schema)
    return validator


def first_problem(kind: str, value: Any) -> str | None:
    """The first way `value` breaks `kind`'s schema, as "field: problem" on one short line
    (a 10,000-item list is described, not printed); None when it is valid."""
    error = next(iter(validator(kind).iter_errors(value)), None)
    if error is None:
        return None
    field = _path(error.absolute_path)
    if error.validator == "additionalProperties":
        instance: Any = error.instance
        schema: Any = error.schema
        unknown = sorted(set(instance) - set(schema.get("properties", {})))
        return f"{_join(field, str(unknown[0]))}: unknown field"
    if error.validator == "required":
        instance = error.instance
        required: Any = error.validator_value
        missing = next(name for name in required if name not in instance)
        return f"{_join(field, missing)}: required"
    return f"{field or '(object)'}: {_problem(error)}"


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


def _path(parts: Any) -> str:
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
