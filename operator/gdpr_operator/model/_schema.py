"""The CRDs' OpenAPI schemas, read from the manifests shipped in crds/: one source of truth.

The API server applies the schemas' defaults to what it stores; `apply_defaults` does the
same for objects that never pass through a cluster (the audit and remediate commands).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

GROUP = "monitoring.gdpr.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

_CRD_FILES = {
    "AwsAccount": "awsaccounts.monitoring.gdpr.io.yaml",
    "GdprMonitoring": "gdprmonitorings.monitoring.gdpr.io.yaml",
}


@functools.cache
def openapi_schema(kind: str) -> Mapping[str, Any]:
    """The openAPIV3Schema of `kind` in the served version."""
    text = resources.files(__package__).joinpath("crds", _CRD_FILES[kind]).read_text("utf-8")
    crd = yaml.safe_load(text)
    (version,) = (v for v in crd["spec"]["versions"] if v["name"] == VERSION)
    schema: Mapping[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def apply_defaults(schema: Mapping[str, Any], value: Any) -> Any:
    """A copy of `value` with the schema's defaults filled in, as the API server does it."""
    if isinstance(value, dict):
        result = dict(value)
        for name, field_schema in schema.get("properties", {}).items():
            if name not in result and "default" in field_schema:
                result[name] = copy.deepcopy(field_schema["default"])
            if name in result:
                result[name] = apply_defaults(field_schema, result[name])
        return result
    if isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], item) for item in value]
    return value
