"""An AwsAccount's status: what its last check found, and which GdprMonitorings name it.

Conditions, in the order the check runs:

- `ExternalIdAvailable`: the Secret holding the ExternalId was read (True `NotRequired` when
  the account names none).
- `RoleAssumed`: STS AssumeRole of `spec.assumeRole.roleArn` succeeded (True
  `OperatorIdentity` when the account uses the operator's own identity).
- `IdentityVerified`: GetCallerIdentity answers the declared `spec.accountId`.
- `Ready`: all three are True; else the reason and message of the first that is False, or
  Unknown (a step not attempted, or a temporary failure) when none is False.

The value of an ExternalId is never part of any of this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.engine import AccountCheck, Failure, PlumbingRelease
from gdpr_operator.model import AwsAccountSpec, DriftEventsMode
from gdpr_operator.report._conditions import READY, Condition, Event
from gdpr_operator.report._status import StatusUpdate, merged_update

EXTERNAL_ID_AVAILABLE = "ExternalIdAvailable"
ROLE_ASSUMED = "RoleAssumed"
IDENTITY_VERIFIED = "IdentityVerified"

MAX_USED_BY = 100
"""Status stays bounded: at most this many GdprMonitorings are listed (all are counted)."""

_NOT_ATTEMPTED = "NotAttempted"


@dataclass(frozen=True, slots=True, order=True)
class MonitoringRef:
    """A GdprMonitoring that names an AwsAccount in its spec.accounts."""

    namespace: str
    name: str


def account_status_update(
    account: AwsAccountSpec,
    previous_status: Mapping[str, Any],
    check: AccountCheck,
    *,
    generation: int,
    used_by: Iterable[MonitoringRef],
    now: str,
) -> StatusUpdate:
    """The new status (conditions merged with the previous ones) and an Event per transition."""
    current = account_conditions(account, check)
    return merged_update(
        previous_status,
        current,
        generation,
        now,
        fields={"lastCheckTime": now, **used_by_status(account, used_by)},
        ready=current[0].healthy,
    )


def used_by_status(account: AwsAccountSpec, used_by: Iterable[MonitoringRef]) -> dict[str, Any]:
    """`usedBy` (the first MAX_USED_BY, with whether each one's namespace is allowed) and
    `usedByCount`."""
    refs = sorted(set(used_by))
    return {
        "usedBy": [
            {
                "namespace": ref.namespace,
                "name": ref.name,
                "bound": ref.namespace in account.allowed_namespaces,
            }
            for ref in refs[:MAX_USED_BY]
        ],
        "usedByCount": len(refs),
    }


def account_conditions(account: AwsAccountSpec, check: AccountCheck) -> list[Condition]:
    """Ready first, then one condition per step of the check."""
    steps = [
        _external_id(account, check),
        _role(account, check),
        _identity(account, check),
    ]
    return [_ready(account, check, steps), *steps]


def _external_id(account: AwsAccountSpec, check: AccountCheck) -> Condition:
    role = account.assume_role
    secret = role.external_id_secret if role is not None else None
    if secret is None:
        return Condition(
            EXTERNAL_ID_AVAILABLE, "True", "NotRequired", "The account names no ExternalId Secret"
        )
    if check.external_id is not None:
        return _failed(EXTERNAL_ID_AVAILABLE, check.external_id)
    return Condition(
        EXTERNAL_ID_AVAILABLE,
        "True",
        "SecretRead",
        f"Read key {secret.key!r} of Secret {secret.name} in the operator's namespace",
    )


def _role(account: AwsAccountSpec, check: AccountCheck) -> Condition:
    role = account.assume_role
    if role is None:
        return Condition(
            ROLE_ASSUMED,
            "True",
            "OperatorIdentity",
            "No assumeRole: the operator's own identity is used (IRSA, EKS Pod Identity or "
            "the AWS environment)",
        )
    if check.external_id is not None:
        return Condition(
            ROLE_ASSUMED, "Unknown", _NOT_ATTEMPTED, "Not attempted: the ExternalId is unavailable"
        )
    if check.assume_role is not None:
        failure = check.assume_role
        if failure.reason == "AccessDenied":
            failure = Failure(
                failure.reason,
                f"{failure.message}. The role must exist, and its trust policy must allow the "
                f"operator's identity{' with this ExternalId' if role.external_id_secret else ''}",
            )
        return _failed(ROLE_ASSUMED, failure)
    return Condition(ROLE_ASSUMED, "True", "Assumed", f"Assumed {role.role_arn}")


def _identity(account: AwsAccountSpec, check: AccountCheck) -> Condition:
    if check.identity_failure is not None:
        return _failed(IDENTITY_VERIFIED, check.identity_failure)
    identity = check.identity
    if identity is None:
        return Condition(
            IDENTITY_VERIFIED,
            "Unknown",
            _NOT_ATTEMPTED,
            "Not attempted: the account's credentials are unavailable",
        )
    if identity.account_id != account.account_id:
        return Condition(
            IDENTITY_VERIFIED,
            "False",
            "AccountMismatch",
            f"GetCallerIdentity answers {identity.arn}, in account {identity.account_id}, not "
            f"the declared {account.account_id}",
        )
    return Condition(
        IDENTITY_VERIFIED, "True", "AccountMatches", f"GetCallerIdentity answers {identity.arn}"
    )


def _ready(account: AwsAccountSpec, check: AccountCheck, steps: Sequence[Condition]) -> Condition:
    for wanted in ("False", "Unknown"):
        for step in steps:
            if step.status == wanted and step.reason != _NOT_ATTEMPTED:
                return Condition(READY, wanted, step.reason, step.message)
    assert check.identity is not None  # every step True
    return Condition(
        READY,
        "True",
        "Ready",
        f"Account {account.account_id} reached as {check.identity.arn}",
    )


def _failed(condition: str, failure: Failure) -> Condition:
    """A failed step: False, or Unknown when it may pass next time (throttled, unreachable)."""
    return Condition(
        condition, "Unknown" if failure.temporary else "False", failure.reason, failure.message
    )


EVENTS_MODE = "eventsMode"
"""The status field that says which events.mode the operator last acted on for the account:
`Managed` stays there after the spec moves to Off until the plumbing Managed made is removed,
so that the move is acted on once, after a restart too, and never again."""
DRIFT_EVENTS_RELEASED = "DriftEventsReleased"
DRIFT_EVENTS_RELEASE_FAILED = "DriftEventsReleaseFailed"


def plumbing_status(account: AwsAccountSpec, release: PlumbingRelease | None) -> dict[str, str]:
    """`eventsMode`: the spec's, unless removing the plumbing of Managed failed (then still
    Managed: the next check tries again)."""
    if release is not None and release.errors:
        return {EVENTS_MODE: DriftEventsMode.MANAGED.value}
    return {EVENTS_MODE: account.drift_events.value}


def plumbing_event(release: PlumbingRelease) -> Event:
    """The Event of removing an account's drift-event plumbing as it left Managed for Off."""
    if release.errors:
        shown = "; ".join(release.errors[:3])
        more = f" (and {len(release.errors) - 3} more)" if len(release.errors) > 3 else ""
        return Event(
            "Warning",
            DRIFT_EVENTS_RELEASE_FAILED,
            f"events.mode Off: the drift-event plumbing Managed made is not all removed yet "
            f"(retried at the next check): {shown}{more}",
        )
    if not release.released:
        where = (
            f"in {', '.join(release.regions)}"
            if release.regions
            else "(no GdprMonitoring bound to the account covers a region)"
        )
        return Event(
            "Normal",
            DRIFT_EVENTS_RELEASED,
            f"events.mode Off: none of the operator's drift-event plumbing left {where}",
        )
    return Event(
        "Normal",
        DRIFT_EVENTS_RELEASED,
        f"events.mode Off: removed {'; '.join(release.released)}",
    )
