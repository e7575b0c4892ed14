"""STS AssumeRole as AWS enforces it, where moto accepts any role ARN and ExternalId, and
temporary credentials that expire.

The role must exist in its account, and when its trust policy has a `sts:ExternalId`
condition (StringEquals), the request must carry that ExternalId: otherwise AccessDenied, as
AWS answers. The trusted principal itself is not checked.

moto's assumed-role credentials never expire; `EXPIRED_SESSIONS` lets a test end those issued
so far in an account, as if their time ran out early (a skewed clock, a revoked session):
requests signed with them are then refused with ExpiredToken, while credentials assumed
afterwards work.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from ._errors import ApiError
from ._profile import REALISM


class StsExtensions(TokenResponse):
    OPERATIONS = frozenset({"AssumeRole"})

    def assume_role(self) -> ActionResult:
        role_arn = str(self._get_param("RoleArn"))
        external_id = self._get_param("ExternalId")
        role = _role(role_arn)
        propagation = REALISM.propagation
        if (
            role is None
            or not _external_id_allowed(role.assume_role_policy_document, external_id)
            or (
                propagation is not None
                and REALISM.settling("role", role.account_id, role.name, propagation.role)
            )
        ):
            caller = f"arn:aws:iam::{self.current_account}:root"
            raise ApiError(
                "AccessDenied",
                f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: "
                f"{role_arn}",
            )
        return super().assume_role()


def _role(arn: str) -> Any:
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "iam":
        return None
    account = parts[4]
    if account not in iam_backends:
        return None
    return next((r for r in iam_backends[account]["aws"].roles.values() if r.arn == arn), None)


def _external_id_allowed(trust_policy: str, external_id: str | None) -> bool:
    required = set()
    for statement in _statements(json.loads(trust_policy)):
        condition = statement.get("Condition", {}).get("StringEquals", {})
        value = condition.get("sts:ExternalId")
        if value is not None:
            required.update(value if isinstance(value, list) else [value])
    return not required or external_id in required


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


class ExpiredSessions:
    """Access keys of assumed-role sessions that have expired. Thread-safe."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def expire(self, account: str) -> int:
        """End every session assumed so far into `account`; returns how many were still
        valid."""
        keys = {
            role.access_key_id
            for partition in sts_backends[account].values()
            for role in partition.assumed_roles
        }
        with self._lock:
            ended = keys - self._keys
            self._keys |= ended
        return len(ended)

    def __contains__(self, access_key: str) -> bool:
        with self._lock:
            return access_key in self._keys

    def reset(self) -> None:
        with self._lock:
            self._keys.clear()


EXPIRED_SESSIONS = ExpiredSessions()
