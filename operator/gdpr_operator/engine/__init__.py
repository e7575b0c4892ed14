"""The engine: spec -> observe -> diff -> act, shared by the operator and the CLI; and the
check of an AwsAccount on its own (ExternalId, role, identity)."""

from gdpr_operator.engine._accounts import (
    AccountCheck,
    CredentialsUnavailableError,
    ExternalIdReader,
    Failure,
    account_access,
    check_account,
    external_id,
)
from gdpr_operator.engine._drift_events import (
    DriftCause,
    Received,
    cause_of,
    own_principal,
    queue_url,
    receive,
)
from gdpr_operator.engine._engine import (
    CheckError,
    LiveMonitoring,
    Outcome,
    Request,
    Slice,
    reconcile,
    release,
    resolved_hub,
)
from gdpr_operator.engine._plumbing import (
    HubUpkeep,
    PlumbingRelease,
    covered_regions,
    event_queues,
    hub_members,
    keep_hub,
    kept_hub_region,
    release_hub,
    release_plumbing,
    stale_hub,
)
from gdpr_operator.engine._targeted import merge_outcome, slices_for
from gdpr_operator.engine._tenancy import Refusal, bind_accounts

__all__ = [
    "AccountCheck",
    "CheckError",
    "CredentialsUnavailableError",
    "DriftCause",
    "ExternalIdReader",
    "Failure",
    "HubUpkeep",
    "LiveMonitoring",
    "Outcome",
    "PlumbingRelease",
    "Received",
    "Refusal",
    "Request",
    "Slice",
    "account_access",
    "bind_accounts",
    "cause_of",
    "check_account",
    "covered_regions",
    "event_queues",
    "external_id",
    "hub_members",
    "keep_hub",
    "kept_hub_region",
    "merge_outcome",
    "own_principal",
    "queue_url",
    "receive",
    "reconcile",
    "release",
    "release_hub",
    "release_plumbing",
    "resolved_hub",
    "slices_for",
    "stale_hub",
]
