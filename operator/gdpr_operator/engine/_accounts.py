"""An AwsAccount looked at on its own: its ExternalId read, its role assumed, and whom AWS
says the credentials name. Read calls only (AssumeRole, GetCallerIdentity), one of each at
most, within a time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gdpr_operator.aws import AccountAccess, Aws, AwsError, CallerIdentity, TemporaryAwsError
from gdpr_operator.model import AwsAccountSpec, SecretRef

ExternalIdReader = Callable[[SecretRef], Awaitable[str]]
"""Reads an AwsAccount's ExternalId from its Secret; raises CredentialsUnavailableError."""

ACCOUNT_CHECK_TIMEOUT_SECONDS = 60.0
"""One account's check gets this long (the layer retries within it); past it, a Timeout."""


class CredentialsUnavailableError(Exception):
    """The ExternalId (or another credential input) of an account cannot be read."""


def external_id(value: bytes, where: str) -> str:
    """The ExternalId a Secret's value holds: UTF-8 text, without surrounding whitespace.
    `where` names the Secret and key for the error."""
    try:
        text = value.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        raise CredentialsUnavailableError(
            f"{where} is not UTF-8 text (byte 0x{value[error.start]:02x} at offset {error.start})"
        ) from None
    if not text:
        raise CredentialsUnavailableError(f"{where} is empty")
    return text


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one step of an account check failed; `reason` is CamelCase (a condition reason)."""

    reason: str
    message: str
    temporary: bool = False
    """Throttling, an outage, a timeout: the next check may well succeed."""


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """What one check of an AwsAccount found. The steps run in order and stop at the first
    failure: the ExternalId, AssumeRole, GetCallerIdentity."""

    external_id: Failure | None = None
    assume_role: Failure | None = None
    identity_failure: Failure | None = None
    identity: CallerIdentity | None = None
    """What GetCallerIdentity answered, when it did."""


async def account_access(
    account: AwsAccountSpec, read_external_id: ExternalIdReader
) -> AccountAccess:
    """How the AWS layer reaches `account`: its role and ExternalId, or the own identity."""
    role = account.assume_role
    if role is None:
        return AccountAccess(name=account.name, account_id=account.account_id)
    secret = role.external_id_secret
    return AccountAccess(
        name=account.name,
        account_id=account.account_id,
        role_arn=role.role_arn,
        external_id=await read_external_id(secret) if secret else None,
        session_name=role.session_name,
        duration_seconds=role.duration_seconds,
    )


async def check_account(
    account: AwsAccountSpec,
    read_external_id: ExternalIdReader,
    aws: Aws,
    timeout_seconds: float = ACCOUNT_CHECK_TIMEOUT_SECONDS,
) -> AccountCheck:
    """Read the ExternalId, assume the role and ask STS whom the credentials name."""
    try:
        access = await account_access(account, read_external_id)
    except CredentialsUnavailableError as error:
        return AccountCheck(external_id=Failure("SecretUnavailable", str(error)))
    try:
        async with asyncio.timeout(timeout_seconds):
            return AccountCheck(identity=await aws.caller_identity(access))
    except TimeoutError:
        failure = Failure("Timeout", f"no answer within {timeout_seconds:g}s", temporary=True)
        first_step = access.role_arn is not None
        return AccountCheck(
            assume_role=failure if first_step else None,
            identity_failure=None if first_step else failure,
        )
    except AwsError as error:
        failure = Failure(
            "NoCredentials" if error.code == "NoCredentials" else error.reason,
            str(error),
            temporary=isinstance(error, TemporaryAwsError),
        )
        if error.operation == "AssumeRole":
            return AccountCheck(assume_role=failure)
        return AccountCheck(identity_failure=failure)
