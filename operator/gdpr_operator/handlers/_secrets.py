"""ExternalIds from Secrets in the operator's own namespace: the only Secrets it may read."""

from __future__ import annotations

import asyncio
import base64

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gdpr_operator.engine import CredentialsUnavailableError, external_id
from gdpr_operator.model import SecretRef

READ_TIMEOUT_SECONDS = 10.0
"""How long reading a Secret may take (connect and answer) before the pass reports it."""


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
                self._api.read_namespaced_secret,
                ref.name,
                self._namespace,
                _request_timeout=READ_TIMEOUT_SECONDS,
            )
        except ApiException as error:
            if error.status == 404:
                raise CredentialsUnavailableError(f"{where} not found") from None
            raise CredentialsUnavailableError(
                f"{where} unreadable: HTTP {error.status} {error.reason}"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            cause = getattr(error, "reason", None) or error  # urllib3's retries give up with one
            raise CredentialsUnavailableError(
                f"{where} unreadable: no answer from the API server within "
                f"{READ_TIMEOUT_SECONDS:g}s ({type(error).__name__}: {cause})"
            ) from None
        encoded = (secret.data or {}).get(ref.key)
        if not encoded:
            raise CredentialsUnavailableError(f"{where} has no key {ref.key!r}")
        return external_id(base64.b64decode(encoded), f"{where} key {ref.key!r}")
