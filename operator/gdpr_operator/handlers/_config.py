"""Operator-wide settings and constants, shared by every handler (the settings through
kopf's memo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gdpr_operator.aws import AwsSettings
from gdpr_operator.engine import ExternalIdReader
from gdpr_operator.model import EventsHub

if TYPE_CHECKING:
    from gdpr_operator.handlers._accounts import AccountApi
    from gdpr_operator.handlers._diffbase import MemoryDiffBaseStorage
    from gdpr_operator.handlers._owned import Ownership

MONITORINGS = "gdprmonitorings"
ACCOUNTS = "awsaccounts"
"""The plurals of the operator's two kinds, as kopf and the API name their resources."""

RESYNC_TICK_SECONDS = 10.0
"""How often each GdprMonitoring's timer wakes to see whether its resync is due."""

ERROR_RETRY_SECONDS = 10.0
"""After a pass that AWS errors cut short, the next comes this soon, doubling with each
failure in a row up to the resync interval: a fault that clears is repaired in seconds.
It is also how soon a drift event queue that could not be read is polled again."""

ACCOUNT_CHECK_SECONDS = 300.0
"""How often each AwsAccount is checked again (role, identity, ExternalId) while it is
Ready; sooner while it is not, as for failed passes."""

RESYNC_JITTER = 0.1
"""Resyncs are spread by up to this fraction of the interval, so they do not align."""


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    namespace: str
    """The operator's own namespace: where ExternalId Secrets live."""
    read_external_id: ExternalIdReader
    aws_settings: AwsSettings
    account_api: AccountApi
    """Where AwsAccount status and Events are written."""
    ownership: Ownership
    """Which objects this replica acts on (all of them, unless sharded)."""
    diffbase: MemoryDiffBaseStorage | None = None
    """Sharded mode's record of each object's last handled spec."""
    account_check_seconds: float = ACCOUNT_CHECK_SECONDS
    events_hub: EventsHub | None = None
    """The installation's events hub (`--events-hub`); None: a queue per account-region."""
    wake_key: bytes | None = field(default=None, repr=False)
    """Sharded mode's key of the causes a wake carries to another replica (`_wake_key`);
    None: no wake carries causes."""
