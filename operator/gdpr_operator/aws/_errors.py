"""AWS errors, classified in one place.

Every failure leaving the layer is an `AwsError` with a CamelCase `reason` (for Kubernetes
conditions) and a human message:

- `TemporaryAwsError`: throttling, 5xx, timeouts, unreachable endpoints. The layer has
  already retried these with jittered backoff (`_retries`); try again later. Expired
  temporary credentials are one too: the layer assumes the role anew.
- `AccessDeniedError`: the identity lacks a permission; names the IAM action (and the
  principal when AWS's message names it).
- `PermanentAwsError`: the request is wrong (validation, other 4xx); retrying will not help.
  `NotFoundError` is the common case of a missing resource.
- `NoCredentialsError`: the operator has no AWS identity to sign with (no credential chain
  found one, or fetching it failed): nothing was sent.
- `AccountMismatchError`: the operator's own identity is not in the account a call without
  a role is meant for: nothing was sent.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.exceptions import NoCredentialsError as BotocoreNoCredentialsError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
        "NotAuthorized",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    }
)
EXPIRED_CREDENTIALS_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})
_SERVER_ERROR_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_NOT_FOUND = re.compile(r"NotFound|NoSuch|^ResourceNotFound")
_PRINCIPAL = re.compile(r"\b(arn:aws[\w-]*:(?:iam|sts)::\d{12}:\S+)")


class AwsError(Exception):
    """A failed AWS call. `reason` is CamelCase (a Kubernetes condition reason)."""

    reason: str = "AwsError"

    def __init__(self, message: str, *, service: str, operation: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.operation = operation
        self.code = code


class TemporaryAwsError(AwsError):
    """Throttling, a server-side failure or a network problem, after retries."""

    def __init__(
        self, message: str, *, service: str, operation: str, code: str = "", reason: str
    ) -> None:
        super().__init__(message, service=service, operation=operation, code=code)
        self.reason = reason


class AccessDeniedError(AwsError):
    """The identity may not call `action` (e.g. "guardduty:ListDetectors")."""

    reason = "AccessDenied"

    def __init__(
        self,
        message: str,
        *,
        service: str,
        operation: str,
        code: str,
        action: str,
        principal: str | None,
    ) -> None:
        super().__init__(message, service=service, operation=operation, code=code)
        self.action = action
        self.principal = principal


class PermanentAwsError(AwsError):
    """AWS rejected the request itself (validation, conflict, ...): retrying will not help."""

    reason = "AwsRequestRejected"


class NotFoundError(PermanentAwsError):
    """The resource the request names does not exist."""

    reason = "NotFound"


class NoCredentialsError(AwsError):
    """No AWS credentials to sign the request with."""

    reason = "CredentialsUnavailable"


class AccountMismatchError(AwsError):
    """A call meant for an account through the operator's own identity (no role to assume),
    while that identity is in another account: it would act in the wrong account."""

    reason = "AccountMismatch"


def classify(exc: Exception, *, service: str, operation: str, action: str) -> AwsError:
    """Turn a botocore exception raised by `service`/`operation` into an AwsError."""
    if isinstance(exc, AwsError):
        return exc
    where = f"{service}:{operation}"
    if isinstance(exc, ClientError):
        return _classify_client_error(exc, service=service, operation=operation, action=action)
    if isinstance(exc, ConnectionError | HTTPClientError):
        return TemporaryAwsError(
            f"{where}: cannot reach AWS: {exc}",
            service=service,
            operation=operation,
            reason="AwsUnreachable",
        )
    if isinstance(
        exc, BotocoreNoCredentialsError | PartialCredentialsError | CredentialRetrievalError
    ):
        return NoCredentialsError(
            f"{where}: no AWS credentials found ({exc})", service=service, operation=operation
        )
    if isinstance(exc, ParamValidationError):
        return PermanentAwsError(
            f"{where}: invalid parameters: {exc}",
            service=service,
            operation=operation,
            code="ParamValidation",
        )
    if isinstance(exc, BotoCoreError):
        return PermanentAwsError(f"{where}: {exc}", service=service, operation=operation)
    raise exc


_PROPAGATING = {
    ("ec2", "InvalidParameterValue"): "Invalid IAM Instance Profile",
}
"""Errors AWS answers while a change it accepted has yet to reach the service asked: EC2
does not know an instance profile IAM created (or gave its role) seconds ago."""


def propagating(error: AwsError) -> bool:
    """Whether `error` is AWS not having caught up with a change yet (retry it soon)."""
    fragment = _PROPAGATING.get((error.service, error.code))
    return fragment is not None and fragment in error.message


def credentials_expired(exc: Exception) -> bool:
    """Whether AWS refused `exc`'s request because its temporary credentials had expired."""
    return isinstance(exc, ClientError) and (
        exc.response.get("Error", {}).get("Code") in EXPIRED_CREDENTIALS_CODES
    )


def _classify_client_error(
    exc: ClientError, *, service: str, operation: str, action: str
) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    aws_message = str(error.get("Message", "")) or str(exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    where = f"{service}:{operation}"
    if code in THROTTLING_CODES or status == 429:
        return TemporaryAwsError(
            f"{where} throttled by AWS ({code}) after retries",
            service=service,
            operation=operation,
            code=code,
            reason="Throttled",
        )
    if code in EXPIRED_CREDENTIALS_CODES:
        return TemporaryAwsError(
            f"{where}: the account's temporary credentials expired ({code}); they are "
            f"assumed anew for the next call",
            service=service,
            operation=operation,
            code=code,
            reason="CredentialsExpired",
        )
    if code in ACCESS_DENIED_CODES:
        principal = _PRINCIPAL.search(aws_message)
        who = principal.group(1) if principal else None
        return AccessDeniedError(
            f"{who or 'the operator'} is not allowed {action} ({code}): {aws_message}",
            service=service,
            operation=operation,
            code=code,
            action=action,
            principal=who,
        )
    if status >= 500 or code in _SERVER_ERROR_CODES:
        return TemporaryAwsError(
            f"{where} failed on AWS's side ({code or status}) after retries: {aws_message}",
            service=service,
            operation=operation,
            code=code,
            reason="AwsServiceError",
        )
    error_class = NotFoundError if _NOT_FOUND.search(code) else PermanentAwsError
    return error_class(
        f"{where} rejected ({code}): {aws_message}", service=service, operation=operation, code=code
    )
