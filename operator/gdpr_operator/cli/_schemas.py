"""JSON Schemas of the objects `audit` and `remediate` read, strict as the API server's field
validation is (`kubectl apply --validate=strict`): an unknown or duplicate field is an error.

AwsAccount and GdprMonitoring come from the CRDs' OpenAPI schemas (their specs are checked by
the model, with the CRDs' CEL rules); ObjectMeta, Secret and List are written out here (a test
compares them with the API server's own OpenAPI).
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema

from gdpr_operator.model import (
    crd_json_schema,
    first_problem,
    json_schema_validator,
    openapi_schema,
)

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


@functools.cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    """For Secret, List, or the object around an AwsAccount's or GdprMonitoring's spec: the
    spec itself is checked by the model as it is parsed (schema and CEL rules)."""
    if kind == "Secret":
        return json_schema_validator(SECRET)
    if kind == "List":
        return json_schema_validator(LIST)
    crd = crd_json_schema(openapi_schema(kind))
    properties = {**crd["properties"], "metadata": OBJECT_META, "spec": {"type": "object"}}
    return json_schema_validator({**crd, "properties": properties})


def object_problem(kind: str, value: Any) -> str | None:
    """The first way `value` breaks `kind`'s schema, as "field: problem" on one short line;
    None when it is valid."""
    problem = first_problem(validator(kind), value)
    if problem is None:
        return None
    field, message = problem
    return f"{field or '(object)'}: {message}"
