"""AwsAccount, GdprMonitoring and Secret documents from a YAML file, checked like the API
server checks them (the CRD's OpenAPI schema), with errors naming file, document and field."""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from gdpr_operator.model import (
    API_VERSION,
    AwsAccountSpec,
    MonitoringSpec,
    SpecError,
    apply_defaults,
    openapi_schema,
    parse_aws_account,
    parse_monitoring,
)


class InputError(Exception):
    """The input file cannot be used as it is."""


@dataclass(frozen=True, slots=True)
class Monitoring:
    namespace: str
    name: str
    spec: MonitoringSpec


@dataclass(slots=True)
class Inputs:
    accounts: dict[str, AwsAccountSpec] = field(default_factory=dict)
    monitorings: list[Monitoring] = field(default_factory=list)
    secrets: dict[str, Mapping[str, str]] = field(default_factory=dict)
    """Secrets of the operator's namespace by name: key -> decoded value."""


def load(paths: Sequence[Path], operator_namespace: str) -> Inputs:
    inputs = Inputs()
    for path in paths:
        _load_file(path, operator_namespace, inputs)
    if not inputs.monitorings:
        raise InputError(
            f"{', '.join(map(str, paths))}: no GdprMonitoring ({API_VERSION}) to act on"
        )
    return inputs


def _load_file(path: Path, operator_namespace: str, inputs: Inputs) -> None:
    try:
        documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"{path}: {error}") from None
    for index, document in enumerate(documents, start=1):
        where = f"{path}: document {index}"
        if not isinstance(document, dict):
            raise InputError(f"{where}: not a Kubernetes object")
        kind, metadata = document.get("kind"), document.get("metadata") or {}
        name = metadata.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{where} ({kind}): metadata.name is required")
        where = f"{where} ({kind} {name})"
        if kind == "Secret" and document.get("apiVersion") == "v1":
            if metadata.get("namespace", operator_namespace) == operator_namespace:
                inputs.secrets[name] = _secret_data(document, where)
        elif kind in ("AwsAccount", "GdprMonitoring") and document.get("apiVersion") == API_VERSION:
            spec = _validated_spec(kind, document, where)
            try:
                if kind == "AwsAccount":
                    inputs.accounts[name] = parse_aws_account(name, spec)
                else:
                    namespace = metadata.get("namespace") or "default"
                    inputs.monitorings.append(Monitoring(namespace, name, parse_monitoring(spec)))
            except SpecError as error:
                raise InputError(f"{where}: {error}") from None


def _validated_spec(kind: str, document: Mapping[str, Any], where: str) -> Any:
    schema = openapi_schema(kind)
    defaulted = apply_defaults(schema, dict(document))
    errors = sorted(_validator(kind).iter_errors(defaulted), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        path = ".".join(str(part) for part in first.absolute_path) or "(object)"
        raise InputError(f"{where}: {path}: {first.message}")
    return defaulted.get("spec")


@functools.cache
def _validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_json_schema(openapi_schema(kind)))


def _json_schema(schema: Any) -> Any:
    """The OpenAPI schema as JSON Schema: Kubernetes extensions (CEL rules among them) and
    the embedded ObjectMeta are left to the API server."""
    if isinstance(schema, dict):
        return {
            key: _json_schema(value)
            for key, value in schema.items()
            if not key.startswith("x-kubernetes-")
        }
    if isinstance(schema, list):
        return [_json_schema(value) for value in schema]
    return schema


def _secret_data(document: Mapping[str, Any], where: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in (document.get("data") or {}).items():
        try:
            values[key] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except ValueError:
            raise InputError(f"{where}: data.{key} is not base64") from None
    values.update({key: str(value) for key, value in (document.get("stringData") or {}).items()})
    return values
