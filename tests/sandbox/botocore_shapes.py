"""Checks a parsed response against its botocore output shape: required members, types."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.session

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "long": int,
    "boolean": bool,
    "double": (float, int),
    "float": (float, int),
    "timestamp": dt.datetime,
    "list": list,
    "map": dict,
    "structure": dict,
    "blob": bytes,
}


def assert_matches_output(service: str, operation: str, reply: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).output_shape
    body = {k: v for k, v in reply.items() if k != "ResponseMetadata"}
    _check(body, shape, operation)


def _check(value: Any, shape: Any, path: str) -> None:
    expected = _TYPES[shape.type_name]
    assert isinstance(value, expected), f"{path}: {type(value).__name__}, not {shape.type_name}"
    assert shape.type_name != "integer" or not isinstance(value, bool), path
    enum = getattr(shape, "enum", None)  # strings only
    if enum:
        assert value in enum, f"{path}: {value!r} not in {enum}"
    if shape.type_name == "structure":
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{path}: required members missing: {sorted(missing)}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: members not in the model: {sorted(unknown)}"
        for name, member in value.items():
            _check(member, shape.members[name], f"{path}.{name}")
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            _check(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            _check(key, shape.key, f"{path} key")
            _check(item, shape.value, f"{path}[{key}]")
