"""AwsAccount, GdprMonitoring and Secret objects from the inputs of `audit` and `remediate`,
checked as the API server checks them (strict field validation, the CRDs' OpenAPI schemas and
CEL rules),
with errors naming file, document and field. `kind: List` is unpacked as kubectl does."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from gdpr_operator.cli._reading import Budget, InputError, read_documents
from gdpr_operator.cli._schemas import object_problem
from gdpr_operator.model import (
    API_VERSION,
    GROUP,
    AwsAccountSpec,
    MonitoringSpec,
    SpecError,
    apply_defaults,
    openapi_schema,
    parse_aws_account,
    parse_monitoring,
    short,
)

__all__ = ["InputError", "Inputs", "Monitoring", "load"]

_OURS = ("AwsAccount", "GdprMonitoring")


@dataclass(frozen=True, slots=True)
class Monitoring:
    namespace: str
    name: str
    spec: MonitoringSpec


@dataclass(slots=True)
class Inputs:
    accounts: dict[str, AwsAccountSpec] = field(default_factory=dict)
    monitorings: dict[tuple[str, str], Monitoring] = field(default_factory=dict)
    """By namespace and name."""
    secrets: dict[str, Mapping[str, bytes]] = field(default_factory=dict)
    """Secrets of the operator's namespace by name: key -> value."""


def load(
    arguments: Sequence[str], operator_namespace: str, stdin: BinaryIO | None = None
) -> Inputs:
    """Every object of `arguments` (files, directories, "-" for standard input); of two
    with the same name, the later stands, as `kubectl apply` leaves it."""
    inputs, budget = Inputs(), Budget()
    for document in read_documents(arguments, budget, stdin):
        for where, item in _objects(document.where, document.value, budget):
            _add(item, where, operator_namespace, inputs)
    if not inputs.monitorings:
        raise InputError(f"{', '.join(arguments)}: no GdprMonitoring ({API_VERSION}) to act on")
    return inputs


def _objects(where: str, value: Any, budget: Budget) -> Iterator[tuple[str, dict[str, Any]]]:
    """`value` as Kubernetes objects: itself, or the items of a List (nested ones too)."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: not a Kubernetes object but {short(value)}")
    for name in ("apiVersion", "kind"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise InputError(f"{where}: {name}: required, a string")
    if (value["apiVersion"], value["kind"]) != ("v1", "List"):
        yield where, value
        return
    _check("List", value, where)
    for number, item in enumerate(value["items"], start=1):
        item_where = f"{where}, item {number}"
        budget.take_object(item_where)
        yield from _objects(item_where, item, budget)


def _add(item: dict[str, Any], where: str, operator_namespace: str, inputs: Inputs) -> None:
    api_version, kind = item["apiVersion"], item["kind"]
    if (api_version, kind) == ("v1", "Secret"):
        _check("Secret", item, where)
        name = item["metadata"]["name"]
        if item["metadata"].get("namespace", operator_namespace) == operator_namespace:
            inputs.secrets[name] = _secret_data(item, f"{where} (Secret {name})")
    elif api_version == API_VERSION and kind in _OURS:
        defaulted = apply_defaults(openapi_schema(kind), item)
        _check(kind, defaulted, where)
        name, spec = defaulted["metadata"]["name"], defaulted["spec"]
        try:
            if kind == "AwsAccount":
                inputs.accounts[name] = parse_aws_account(name, spec)
            else:
                namespace = defaulted["metadata"].get("namespace", "default")
                inputs.monitorings[namespace, name] = Monitoring(
                    namespace, name, parse_monitoring(spec)
                )
        except SpecError as error:
            raise InputError(f"{where} ({kind} {name}): {error}") from None
    elif api_version.split("/")[0] == GROUP:
        raise InputError(
            f"{where}: no {short(kind)} in {short(api_version)}: this operator serves "
            f"{' and '.join(_OURS)} in {API_VERSION}"
        )


def _check(kind: str, value: Any, where: str) -> None:
    metadata = value.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    label = f"{kind} {name}" if isinstance(name, str) and len(name) <= 253 else kind
    problem = object_problem(kind, value)
    if problem is not None:
        raise InputError(f"{where} ({label}): {problem}")


def _secret_data(secret: Mapping[str, Any], where: str) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for key, value in secret.get("data", {}).items():
        try:
            values[key] = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise InputError(f"{where}: data.{key}: not base64") from None
    values.update({key: value.encode() for key, value in secret.get("stringData", {}).items()})
    return values
