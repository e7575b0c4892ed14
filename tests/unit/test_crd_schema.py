"""Static properties of the CRD schemas that the API server does not enforce itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from gdpr_operator.model import openapi_schema

KINDS = ["AwsAccount", "GdprMonitoring"]


def _fields(schema: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, child in schema.get("properties", {}).items():
        yield f"{path}.{name}", child
        yield from _fields(child, f"{path}.{name}")
    if "items" in schema:
        yield from _fields(schema["items"], f"{path}[]")


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_has_a_description(kind: str) -> None:
    """kubectl explain teaches the whole API."""
    schema = dict(openapi_schema(kind))
    undocumented = [
        path
        for path, field in _fields(schema, kind)
        if path != f"{kind}.metadata" and not field.get("description")
    ]
    assert undocumented == []


def _without_k8s_extensions(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _without_k8s_extensions(value)
            for key, value in schema.items()
            if not key.startswith("x-kubernetes-")
        }
    if isinstance(schema, list):
        return [_without_k8s_extensions(value) for value in schema]
    return schema


@pytest.mark.parametrize("kind", KINDS)
def test_every_default_is_valid_under_its_own_schema(kind: str) -> None:
    """A default that its own schema rejects would make every object fail to apply."""
    schema = dict(openapi_schema(kind))
    for path, field in _fields(schema, kind):
        if "default" in field:
            try:
                jsonschema.validate(field["default"], _without_k8s_extensions(field))
            except jsonschema.ValidationError as error:
                pytest.fail(f"{path}: default {field['default']!r} invalid: {error.message}")
