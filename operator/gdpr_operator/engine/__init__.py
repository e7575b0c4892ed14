"""The engine: spec -> observe -> diff -> act, shared by the operator and the CLI; and the
check of an AwsAccount on its own (ExternalId, role, identity)."""

from gdpr_operator.engine._accounts import (
    AccountCheck,
    CredentialsUnavailableError,
    ExternalIdReader,
    Failure,
    check_account,
    external_id,
)
from gdpr_operator.engine._engine import (
    CheckError,
    LiveMonitoring,
    Outcome,
    Request,
    reconcile,
    release,
)
from gdpr_operator.engine._tenancy import Refusal, bind_accounts

__all__ = [
    "AccountCheck",
    "CheckError",
    "CredentialsUnavailableError",
    "ExternalIdReader",
    "Failure",
    "LiveMonitoring",
    "Outcome",
    "Refusal",
    "Request",
    "bind_accounts",
    "check_account",
    "external_id",
    "reconcile",
    "release",
]
