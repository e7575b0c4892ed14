"""AWS change events from the operator's queues (AwsAccount events.mode Managed): received
with long polling, read into drift causes (which account, region and component, who, what,
when), deleted once read. At least once: a message whose handling fails is not deleted and
comes back after its visibility timeout."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import GLOBAL_REGION, AwsAccountSpec
from gdpr_operator.reconcilers.drift_events import (
    FINDING,
    QUEUE_NAME,
    component_of,
)

WAIT_SECONDS = 10
"""Long polling: a receive waits at most this long for a message, and always a second less
than the layer's read timeout (else every empty receive would fail as a timeout)."""
BATCH = 10
"""Messages received, and deleted, at once (SQS's most)."""
GLOBAL_SOURCES = frozenset({"iam.amazonaws.com"})
"""Services whose changes concern the account as a whole (region GLOBAL_REGION)."""


@dataclass(frozen=True, slots=True)
class DriftCause:
    """A change in AWS that can have caused drift: what the operator says about it."""

    account_id: str
    region: str
    component: str
    principal: str
    """The userIdentity ARN of who made the call; empty for EC2's own state changes and
    GuardDuty's findings."""
    action: str
    """The API call ("UpdateDetector"), the state an instance entered, or the finding
    ("GuardDuty finding Recon:EC2/PortProbeUnprotectedPort (severity 5)")."""
    event_time: str
    """When AWS says it happened (RFC 3339)."""
    received_at: float
    """When the operator received it (seconds since the epoch)."""
    account: str = ""
    """The AwsAccount (by name) the operator knows the account by, once it is matched."""

    def describe(self) -> str:
        """ "by arn:... (UpdateDetector at 2026-12-01T13:02:11Z)"."""
        who = f"by {self.principal} " if self.principal else ""
        return f"{who}({self.action} at {self.event_time})"


@dataclass(frozen=True, slots=True)
class Received:
    """One receive from one queue: the causes read, and how many messages were deleted."""

    causes: tuple[DriftCause, ...]
    messages: int


def cause_of(body: str, received_at: float) -> DriftCause | None:
    """The drift cause an EventBridge event (an SQS message body) reports; None for one that
    concerns nothing the operator manages or checks, or that cannot be read."""
    try:
        event = json.loads(body)
        detail: dict[str, Any] = event.get("detail") or {}
        detail_type = str(event.get("detail-type", ""))
        names = (detail_type, str(detail.get("eventSource", "")), str(detail.get("eventName", "")))
        component = component_of(*names)
    except (ValueError, AttributeError):
        return None
    if component is None:
        return None
    if "eventName" in detail:
        identity = detail.get("userIdentity") or {}
        source = str(detail.get("eventSource", ""))
        return DriftCause(
            account_id=str(detail.get("recipientAccountId") or event.get("account", "")),
            region=GLOBAL_REGION
            if source in GLOBAL_SOURCES
            else str(detail.get("awsRegion") or event.get("region", "")),
            component=component,
            principal=str(identity.get("arn", "")),
            action=str(detail["eventName"]),
            event_time=str(detail.get("eventTime") or event.get("time", "")),
            received_at=received_at,
        )
    if detail_type == FINDING:
        return DriftCause(
            account_id=str(detail.get("accountId") or event.get("account", "")),
            region=str(detail.get("region") or event.get("region", "")),
            component=component,
            principal="",
            action=f"GuardDuty finding {detail.get('type', '')} "
            f"(severity {_severity(detail.get('severity'))})",
            event_time=str(detail.get("updatedAt") or event.get("time", "")),
            received_at=received_at,
        )
    return DriftCause(
        account_id=str(event.get("account", "")),
        region=str(event.get("region", "")),
        component=component,
        principal="",
        action=f"instance {detail.get('instance-id', '')} {detail.get('state', '')}",
        event_time=str(event.get("time", "")),
        received_at=received_at,
    )


def _severity(value: Any) -> str:
    """A finding's severity as GuardDuty shows it: 5 rather than 5.0, 8.7 as is."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:g}"


def own_principal(account: AwsAccountSpec) -> str | None:
    """The userIdentity ARN of the operator's own calls into `account` (its role session),
    whose changes are repairs, not drift; None when the operator uses its own identity
    there (no role session to recognise)."""
    if account.assume_role is None:
        return None
    role = account.assume_role.role_arn.rsplit("/", 1)[-1]
    return (
        f"arn:aws:sts::{account.account_id}:assumed-role/{role}/{account.assume_role.session_name}"
    )


async def queue_url(aws: Aws, target: Target) -> str | None:
    """The operator's queue in the account-region; None while there is none."""
    reply = await aws.call(target, "sqs", "list_queues", QueueNamePrefix=QUEUE_NAME)
    urls: Sequence[str] = reply.get("QueueUrls", [])
    return next((url for url in urls if url.rsplit("/", 1)[-1] == QUEUE_NAME), None)


async def receive(
    aws: Aws, access: AccountAccess, region: str, url: str, *, now: float, wait: int | None = None
) -> Received:
    """One long-polled receive from the queue at `url` (waiting `wait` seconds, by default
    as long as the layer's read timeout allows, up to WAIT_SECONDS); what was read is
    deleted in one batch, the unreadable too (it would come back forever)."""
    if wait is None:
        wait = max(0, min(WAIT_SECONDS, math.ceil(aws.settings.read_timeout) - 1))
    target = Target(access, region)
    reply = await aws.call(
        target,
        "sqs",
        "receive_message",
        QueueUrl=url,
        MaxNumberOfMessages=BATCH,
        WaitTimeSeconds=wait,
    )
    messages = reply.get("Messages", [])
    if not messages:
        return Received((), 0)
    causes = tuple(
        cause
        for message in messages
        if (cause := cause_of(message.get("Body", ""), now)) is not None
    )
    await aws.call(
        target,
        "sqs",
        "delete_message_batch",
        QueueUrl=url,
        Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
        ],
    )
    return Received(causes, len(messages))
