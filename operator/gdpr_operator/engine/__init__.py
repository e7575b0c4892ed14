"""The engine: spec -> observe -> diff -> act, shared by the operator and the CLI."""

from gdpr_operator.engine._engine import (
    CheckError,
    CredentialsUnavailableError,
    ExternalIdReader,
    LiveMonitoring,
    Outcome,
    Request,
    external_id,
    reconcile,
    release,
)
from gdpr_operator.engine._tenancy import Binding, Refusal, bind_accounts

__all__ = [
    "Binding",
    "CheckError",
    "CredentialsUnavailableError",
    "ExternalIdReader",
    "LiveMonitoring",
    "Outcome",
    "Refusal",
    "Request",
    "bind_accounts",
    "external_id",
    "reconcile",
    "release",
]
