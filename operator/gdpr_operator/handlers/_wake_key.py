"""Sharded mode's key of the causes a wake carries (`_wake_causes`): 32 random bytes in a
Secret of the operator's namespace, which the first replica to start creates and every
replica reads once, at its start. Tenants cannot read it: it is not in their namespaces."""

from __future__ import annotations

import base64
import secrets

from kubernetes import client
from kubernetes.client.exceptions import ApiException

WAKE_KEY_SECRET = "gdpr-operator-drift-events-key"
DATA_KEY = "key"
KEY_BYTES = 32


def wake_key(api: client.CoreV1Api, namespace: str) -> bytes:
    """The installation's key: created if absent (another replica may create it at the same
    moment: then its key is read)."""
    fresh = secrets.token_bytes(KEY_BYTES)
    secret = client.V1Secret(
        metadata=client.V1ObjectMeta(
            name=WAKE_KEY_SECRET,
            namespace=namespace,
            labels={"app.kubernetes.io/name": "gdpr-operator"},
        ),
        data={DATA_KEY: base64.b64encode(fresh).decode()},
    )
    try:
        api.create_namespaced_secret(namespace, secret)
    except ApiException as error:
        if error.status != 409:
            raise
    else:
        return fresh
    found = api.read_namespaced_secret(WAKE_KEY_SECRET, namespace)
    key = base64.b64decode((found.data or {}).get(DATA_KEY, ""))
    if len(key) < KEY_BYTES:
        raise RuntimeError(
            f"Secret {namespace}/{WAKE_KEY_SECRET} has no key {DATA_KEY!r} of at least "
            f"{KEY_BYTES} bytes: delete it, and the operator creates another at its start"
        )
    return key
