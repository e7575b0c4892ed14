"""Per-account credentials: the operator's own identity, or an assumed role kept fresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import NoCredentialsError as BotocoreNoCredentialsError
from botocore.session import Session

from ._errors import classify
from ._sessions import Sessions
from ._targets import AccountAccess

AssumeRoleGate = Callable[[], None]
"""Called, in the fetching thread, right before each AssumeRole: it may block (rate limits)."""


def account_session(
    sessions: Sessions, access: AccountAccess, before_assume: AssumeRoleGate
) -> Session:
    """The session whose clients act in `access`'s account."""
    if access.role_arn is None:
        return sessions.base
    return sessions.new_session(
        credentials=assumed_role_credentials(sessions, access, before_assume)
    )


def assumed_role_credentials(
    sessions: Sessions, access: AccountAccess, before_assume: AssumeRoleGate
) -> Any:
    """STS AssumeRole credentials, fetched on first use and refreshed before they expire.

    botocore's RefreshableCredentials refresh ahead of expiry (advisory 15 min, mandatory
    10 min before), thread-safely; so `duration_seconds` is best kept well above 15 minutes.
    Every thread that needs them meanwhile waits on that refresh, and after a failed one
    the next tries again: `before_assume` keeps those attempts to STS's rate.
    """
    assert access.role_arn is not None
    source = sessions.base_credentials()
    if source is None:
        raise classify(
            BotocoreNoCredentialsError(),
            service="sts",
            operation="AssumeRole",
            action="sts:AssumeRole",
        )
    extra: dict[str, Any] = {
        "RoleSessionName": access.session_name,
        "DurationSeconds": access.duration_seconds,
    }
    if access.external_id is not None:
        extra["ExternalId"] = access.external_id
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=sessions.sts_client_creator(),
        source_credentials=source,
        role_arn=access.role_arn,
        extra_args=extra,
    )
    return DeferredRefreshableCredentials(
        refresh_using=_gated_and_classified(fetcher.fetch_credentials, before_assume),
        method="assume-role",
    )


def _gated_and_classified(
    fetch: Callable[[], dict[str, Any]], before_assume: AssumeRoleGate
) -> Callable[[], dict[str, Any]]:
    """AssumeRole failures surface inside whatever call needed the credentials: name them."""

    def fetch_classified() -> dict[str, Any]:
        before_assume()
        try:
            return fetch()
        except Exception as exc:
            raise classify(
                exc, service="sts", operation="AssumeRole", action="sts:AssumeRole"
            ) from exc

    return fetch_classified
