"""The schemas `audit` reads Kubernetes' own objects with (ObjectMeta, Secret, List meta) name
the same fields, of the same types, as the real API server's OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gdpr_operator.cli._schemas import LIST_META, OBJECT_META, SECRET

from fixtures.cluster import Kubectl

pytestmark = pytest.mark.e2e


def _served(admin: Kubectl) -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(admin.run("get", "--raw", "/openapi/v3/api/v1").stdout)[
        "components"
    ]["schemas"]
    return schemas


def _field_types(schema: dict[str, Any]) -> dict[str, str]:
    """Field -> JSON type: a reference is an object, but for meta.v1.Time, a string."""
    return {name: _json_type(field) for name, field in schema["properties"].items()}


def _json_type(field: dict[str, Any]) -> str:
    if "io.k8s.apimachinery.pkg.apis.meta.v1.Time" in json.dumps(field):
        return "string"
    kind = field.get("type", "object")
    return kind if isinstance(kind, str) else next(k for k in kind if k != "null")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (OBJECT_META, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        (LIST_META, "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
        (SECRET, "io.k8s.api.core.v1.Secret"),
    ],
)
def test_our_strict_schemas_match_the_api_servers(
    installed: Kubectl, ours: dict[str, Any], theirs: str
) -> None:
    served = _served(installed)[theirs]
    assert _field_types(ours) == _field_types(served)
