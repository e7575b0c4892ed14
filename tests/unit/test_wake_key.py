"""Sharded mode's key: created once for the installation, then read by every replica."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator.handlers._wake_key import KEY_BYTES, WAKE_KEY_SECRET, wake_key


@dataclass
class FakeSecrets:
    """The Secrets of one namespace, as the API server keeps them."""

    data: dict[str, dict[str, str]] = field(default_factory=dict)

    def create_namespaced_secret(self, namespace: str, body: client.V1Secret) -> None:
        if body.metadata.name in self.data:
            raise ApiException(status=409, reason="AlreadyExists")
        self.data[body.metadata.name] = body.data

    def read_namespaced_secret(self, name: str, namespace: str) -> client.V1Secret:
        return client.V1Secret(data=self.data[name])


def test_the_first_replica_creates_the_key_and_the_others_read_it() -> None:
    secrets = FakeSecrets()
    api = cast(Any, secrets)
    first = wake_key(api, "gdpr-system")
    assert len(first) == KEY_BYTES
    assert base64.b64decode(secrets.data[WAKE_KEY_SECRET]["key"]) == first
    assert wake_key(api, "gdpr-system") == first == wake_key(api, "gdpr-system")


def test_a_key_too_short_to_sign_stops_the_start_naming_the_secret() -> None:
    secrets = FakeSecrets({WAKE_KEY_SECRET: {"key": base64.b64encode(b"short").decode()}})
    with pytest.raises(RuntimeError, match=WAKE_KEY_SECRET):
        wake_key(cast(Any, secrets), "gdpr-system")
