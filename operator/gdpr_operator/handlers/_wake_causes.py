"""The causes a wake carries to a GdprMonitoring that another replica owns (sharded mode):
the value of `CAUSES_ANNOTATION`, compact JSON signed with HMAC-SHA256 under a key all the
replicas share and tenants do not know (`_wake_key`).

Tenants may edit their GdprMonitoring's annotations: a value they write or change fails
`decode`, and one they copy from another object names another uid. A value replayed as it
was is refused by `fresh`: it must be this wake's own (its time is the wake annotation's),
newer than the last one accepted for the object, and at most `MAX_AGE_SECONDS` old.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.engine import DriftCause

CAUSES_ANNOTATION = "drift-events.monitoring.gdpr.io/causes"
MAX_CAUSES = 20
"""The most recent causes a value carries; the others are only counted (an annotation's
size is bounded, and a storm's Event names its first causes anyway)."""
MAX_AGE_SECONDS = 600.0
"""How old a value may be to be accepted."""


class InvalidWakeError(ValueError):
    """A value that the operator did not write for this object."""


@dataclass(frozen=True, slots=True)
class CarriedCauses:
    uid: str
    woken_at: str
    """The wake annotation's value the same patch set (seconds since the epoch, as text)."""
    causes: tuple[DriftCause, ...]
    omitted: int
    """Causes of this wake left out beyond MAX_CAUSES."""


def encode(key: bytes, uid: str, woken_at: str, causes: Sequence[DriftCause]) -> str:
    """The annotation's value: the MAX_CAUSES most recent causes, the rest counted."""
    recent = sorted(causes, key=lambda cause: cause.received_at)[-MAX_CAUSES:]
    payload = {
        "uid": uid,
        "at": woken_at,
        "causes": [_fields(cause) for cause in recent],
        "omitted": len(causes) - len(recent),
    }
    return _compact({**payload, "hmac": _signature(key, payload)})


def decode(key: bytes, value: str, uid: str) -> CarriedCauses:
    """The causes `value` carries for the object `uid`; InvalidWakeError if it is not a value the
    operator signed for that object."""
    try:
        payload = json.loads(value)
        signature = payload.pop("hmac")
    except (ValueError, AttributeError, KeyError, TypeError):
        raise InvalidWakeError("not a signed value") from None
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature, _signature(key, payload)
    ):
        raise InvalidWakeError("bad signature")
    if payload.get("uid") != uid:
        raise InvalidWakeError(f"signed for another object ({payload.get('uid')})")
    try:
        return CarriedCauses(
            uid=uid,
            woken_at=str(payload["at"]),
            causes=tuple(_cause(fields) for fields in payload["causes"]),
            omitted=int(payload["omitted"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidWakeError("malformed") from None


def fresh(carried: CarriedCauses, last_accepted: float | None, now: float) -> bool:
    """Whether `carried` is newer than the last value accepted for the object, and recent
    (the caller checks first that it is this wake's: its time is the wake annotation's)."""
    try:
        woken_at = float(carried.woken_at)
    except ValueError:
        return False
    return (last_accepted is None or woken_at > last_accepted) and now - woken_at <= MAX_AGE_SECONDS


def _fields(cause: DriftCause) -> list[Any]:
    return [
        cause.account_id,
        cause.region,
        cause.component,
        cause.principal,
        cause.action,
        cause.event_time,
        cause.received_at,
        cause.account,
    ]


def _cause(fields: list[Any]) -> DriftCause:
    account_id, region, component, principal, action, event_time, received_at, account = fields
    texts = (account_id, region, component, principal, action, event_time, account)
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("a cause's field is not text")
    return DriftCause(
        account_id, region, component, principal, action, event_time, float(received_at), account
    )


def _signature(key: bytes, payload: dict[str, Any]) -> str:
    return hmac.new(key, _compact(payload).encode(), hashlib.sha256).hexdigest()


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
