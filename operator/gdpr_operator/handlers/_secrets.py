"""ExternalIds from Secrets in the operator's own namespace: the only Secrets it may read."""

from __future__ import annotations

import asyncio
import base64

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator.engine import CredentialsUnavailableError, external_id
from gdpr_operator.model import SecretRef


class ExternalIdSecrets:
    """Reads ExternalIds; the values are never logged, stored in status, or put in events."""

    def __init__(self, namespace: str, api: client.CoreV1Api) -> None:
        self._namespace = namespace
        self._api = api

    async def __call__(self, ref: SecretRef) -> str:
        where = f"Secret {self._namespace}/{ref.name}"
        try:
            # The kubernetes client is synchronous: keep it off the event loop.
            secret = await asyncio.to_thread(
                self._api.read_namespaced_secret, ref.name, self._namespace
            )
        except ApiException as error:
            if error.status == 404:
                raise CredentialsUnavailableError(f"{where} not found") from None
            raise CredentialsUnavailableError(f"{where} unreadable: HTTP {error.status}") from None
        encoded = (secret.data or {}).get(ref.key)
        if not encoded:
            raise CredentialsUnavailableError(f"{where} has no key {ref.key!r}")
        return external_id(base64.b64decode(encoded), f"{where} key {ref.key!r}")
