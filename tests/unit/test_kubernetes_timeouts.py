"""Every Kubernetes API call has a timeout: kopf's, and the operator's own Secret reads."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from kubernetes import client

from gdpr_operator.engine import CredentialsUnavailableError
from gdpr_operator.handlers import _secrets
from gdpr_operator.handlers._run import _settings as kopf_settings
from gdpr_operator.model import SecretRef


def test_kopf_never_waits_for_the_api_server_without_a_limit() -> None:
    settings = kopf_settings(None)  # leader-election mode: kopf keeps its diff base on the object
    for timeout in (
        settings.networking.connect_timeout,
        settings.networking.request_timeout,
        settings.watching.connect_timeout,
        settings.watching.server_timeout,
        settings.watching.client_timeout,
    ):
        assert timeout is not None
        assert 0 < timeout <= 600
    assert settings.watching.client_timeout > settings.watching.server_timeout
    # Sent as the watch's timeoutSeconds, which the API server parses as an integer.
    assert isinstance(settings.watching.server_timeout, int)


@pytest.fixture
def silent_api_server() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in accepted:
        connection.close()


async def test_a_secret_read_that_gets_no_answer_ends_with_a_reason(
    silent_api_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_secrets, "READ_TIMEOUT_SECONDS", 0.5)
    configuration = client.Configuration(host=silent_api_server)
    read = _secrets.ExternalIdSecrets(
        "gdpr-system", client.CoreV1Api(client.ApiClient(configuration))
    )
    started = time.monotonic()
    with pytest.raises(CredentialsUnavailableError) as unreadable:
        await read(SecretRef("prod-external-id", "externalId"))
    assert time.monotonic() - started < 10
    assert str(unreadable.value).startswith(
        "Secret gdpr-system/prod-external-id unreadable: no answer from the API server within 0.5s"
    )
