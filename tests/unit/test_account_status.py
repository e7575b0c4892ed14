"""AwsAccount status from one check: the conditions, their Events, and usedBy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gdpr_operator.aws import CallerIdentity
from gdpr_operator.engine import AccountCheck, Failure, PlumbingRelease
from gdpr_operator.model import AwsAccountSpec, DriftEventsMode, parse_aws_account
from gdpr_operator.report import (
    EVENTS_MODE,
    MAX_USED_BY,
    MonitoringRef,
    account_status_update,
    plumbing_event,
    plumbing_status,
)

ROLE = "arn:aws:iam::111111111111:role/gdpr-operator"
ASSUMED = "arn:aws:sts::111111111111:assumed-role/gdpr-operator/gdpr-operator"
NOW = "2026-11-20T09:05:00Z"
LATER = "2026-11-20T09:10:00Z"


def _account(*, role: bool = True, secret: bool = True) -> AwsAccountSpec:
    spec: dict[str, object] = {"accountId": "111111111111", "allowedNamespaces": ["security"]}
    if role:
        assume: dict[str, object] = {"roleArn": ROLE}
        if secret:
            assume["externalIdSecretRef"] = {"name": "prod-external-id", "key": "externalId"}
        spec["assumeRole"] = assume
    return parse_aws_account("prod", spec)


def _shown(account: AwsAccountSpec, check: AccountCheck) -> dict[str, tuple[str, str]]:
    update = account_status_update(account, {}, check, generation=1, used_by=(), now=NOW)
    return {c["type"]: (c["status"], c["reason"]) for c in update.status["conditions"]}


GOOD = AccountCheck(identity=CallerIdentity("111111111111", ASSUMED))


@pytest.mark.parametrize(
    ("account", "check", "expected"),
    [
        pytest.param(
            _account(),
            GOOD,
            {
                "Ready": ("True", "Ready"),
                "ExternalIdAvailable": ("True", "SecretRead"),
                "RoleAssumed": ("True", "Assumed"),
                "IdentityVerified": ("True", "AccountMatches"),
            },
            id="good",
        ),
        pytest.param(
            _account(role=False),
            GOOD,
            {
                "Ready": ("True", "Ready"),
                "ExternalIdAvailable": ("True", "NotRequired"),
                "RoleAssumed": ("True", "OperatorIdentity"),
                "IdentityVerified": ("True", "AccountMatches"),
            },
            id="own-identity",
        ),
        pytest.param(
            _account(),
            AccountCheck(external_id=Failure("SecretUnavailable", "Secret x not found")),
            {
                "Ready": ("False", "SecretUnavailable"),
                "ExternalIdAvailable": ("False", "SecretUnavailable"),
                "RoleAssumed": ("Unknown", "NotAttempted"),
                "IdentityVerified": ("Unknown", "NotAttempted"),
            },
            id="missing-secret",
        ),
        pytest.param(
            _account(secret=False),
            AccountCheck(assume_role=Failure("AccessDenied", "not allowed sts:AssumeRole")),
            {
                "Ready": ("False", "AccessDenied"),
                "ExternalIdAvailable": ("True", "NotRequired"),
                "RoleAssumed": ("False", "AccessDenied"),
                "IdentityVerified": ("Unknown", "NotAttempted"),
            },
            id="access-denied",
        ),
        pytest.param(
            _account(),
            AccountCheck(assume_role=Failure("Throttled", "throttled", temporary=True)),
            {
                "Ready": ("Unknown", "Throttled"),
                "ExternalIdAvailable": ("True", "SecretRead"),
                "RoleAssumed": ("Unknown", "Throttled"),
                "IdentityVerified": ("Unknown", "NotAttempted"),
            },
            id="throttled",
        ),
        pytest.param(
            _account(role=False),
            AccountCheck(identity=CallerIdentity("123456789012", "arn:aws:iam::123456789012:u")),
            {
                "Ready": ("False", "AccountMismatch"),
                "ExternalIdAvailable": ("True", "NotRequired"),
                "RoleAssumed": ("True", "OperatorIdentity"),
                "IdentityVerified": ("False", "AccountMismatch"),
            },
            id="account-mismatch",
        ),
        pytest.param(
            _account(role=False),
            AccountCheck(identity_failure=Failure("AwsRequestRejected", "no credentials")),
            {
                "Ready": ("False", "AwsRequestRejected"),
                "ExternalIdAvailable": ("True", "NotRequired"),
                "RoleAssumed": ("True", "OperatorIdentity"),
                "IdentityVerified": ("False", "AwsRequestRejected"),
            },
            id="identity-refused",
        ),
    ],
)
def test_conditions_follow_the_first_failing_step(
    account: AwsAccountSpec, check: AccountCheck, expected: dict[str, tuple[str, str]]
) -> None:
    assert _shown(account, check) == expected


def test_access_denied_says_what_the_trust_policy_must_allow() -> None:
    update = account_status_update(
        _account(),
        {},
        AccountCheck(assume_role=Failure("AccessDenied", "not allowed sts:AssumeRole")),
        generation=1,
        used_by=(),
        now=NOW,
    )
    role = next(c for c in update.status["conditions"] if c["type"] == "RoleAssumed")
    assert role["message"].startswith("not allowed sts:AssumeRole. The role must exist")
    assert role["message"].endswith("with this ExternalId")


def test_an_event_per_transition_and_transition_times_move_only_on_a_flip() -> None:
    account = _account()
    first = account_status_update(account, {}, GOOD, generation=1, used_by=(), now=NOW)
    assert first.ready
    assert {(e.type, e.reason) for e in first.events} == {
        ("Normal", "Ready"),
        ("Normal", "SecretRead"),
        ("Normal", "Assumed"),
        ("Normal", "AccountMatches"),
    }
    same = account_status_update(account, first.status, GOOD, generation=1, used_by=(), now=LATER)
    assert same.events == []
    assert same.status["lastCheckTime"] == LATER
    assert {c["lastTransitionTime"] for c in same.status["conditions"]} == {NOW}

    denied = AccountCheck(assume_role=Failure("AccessDenied", "denied"))
    broken = account_status_update(
        account, same.status, denied, generation=2, used_by=(), now=LATER
    )
    assert not broken.ready
    assert broken.status["observedGeneration"] == 2
    assert {(e.type, e.reason, e.message.split(":")[0]) for e in broken.events} == {
        ("Warning", "AccessDenied", "Ready True -> False"),
        ("Warning", "AccessDenied", "RoleAssumed True -> False"),
        ("Warning", "NotAttempted", "IdentityVerified True -> Unknown"),
    }
    times = {c["type"]: c["lastTransitionTime"] for c in broken.status["conditions"]}
    assert times == {
        "Ready": LATER,
        "ExternalIdAvailable": NOW,
        "RoleAssumed": LATER,
        "IdentityVerified": LATER,
    }


def test_used_by_is_sorted_bounded_and_says_which_namespaces_are_bound() -> None:
    refs = [MonitoringRef(f"team-{i:03d}", "web") for i in range(MAX_USED_BY + 20)]
    refs += [MonitoringRef("security", "web"), MonitoringRef("security", "web")]  # one object
    status = account_status_update(
        _account(), {}, GOOD, generation=1, used_by=reversed(refs), now=NOW
    ).status
    assert status["usedByCount"] == MAX_USED_BY + 21
    assert len(status["usedBy"]) == MAX_USED_BY
    assert status["usedBy"][0] == {"namespace": "security", "name": "web", "bound": True}
    assert status["usedBy"][1] == {"namespace": "team-000", "name": "web", "bound": False}
    assert [ref["namespace"] for ref in status["usedBy"]] == sorted(
        ref["namespace"] for ref in status["usedBy"]
    )


def test_events_mode_stays_managed_until_the_plumbing_is_removed() -> None:
    account = replace(_account(), drift_events=DriftEventsMode.OFF)
    assert plumbing_status(account, None) == {EVENTS_MODE: "Off"}
    assert plumbing_status(account, PlumbingRelease(regions=("eu-west-1",))) == {EVENTS_MODE: "Off"}
    failed = PlumbingRelease(errors=("prod/eu-west-1: AccessDenied",))
    assert plumbing_status(account, failed) == {EVENTS_MODE: "Managed"}
    managed = replace(account, drift_events=DriftEventsMode.MANAGED)
    assert plumbing_status(managed, None) == {EVENTS_MODE: "Managed"}


def test_the_plumbing_s_removal_is_one_event_naming_what_went_or_what_stopped_it() -> None:
    done = plumbing_event(PlumbingRelease(released=("SQS queue q in prod/eu-west-1",)))
    assert (done.type, done.reason) == ("Normal", "DriftEventsReleased")
    assert done.message == "events.mode Off: removed SQS queue q in prod/eu-west-1"
    nothing = plumbing_event(PlumbingRelease(regions=("eu-west-1",)))
    assert (nothing.type, nothing.reason) == ("Normal", "DriftEventsReleased")
    assert "none of the operator's drift-event plumbing left in eu-west-1" in nothing.message
    errors = tuple(f"prod/r{index}: AccessDenied" for index in range(5))
    failed = plumbing_event(PlumbingRelease(errors=errors))
    assert (failed.type, failed.reason) == ("Warning", "DriftEventsReleaseFailed")
    assert "prod/r2: AccessDenied (and 2 more)" in failed.message
    assert "prod/r3" not in failed.message
