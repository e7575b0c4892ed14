"""Drift events, pure logic: an EventBridge message read into a cause, the operator's own
session recognised, the GdprMonitorings a cause concerns (tenancy, region, mode), and the
Event and condition words that name who did it."""

from __future__ import annotations

import json
from typing import Any

from gdpr_operator.engine import DriftCause, Outcome, cause_of, own_principal
from gdpr_operator.handlers._drift_events import covering
from gdpr_operator.model import (
    Action,
    CheckResult,
    DriftEventsMode,
    parse_aws_account,
    parse_monitoring,
)
from gdpr_operator.reconcilers.drift_events import EVENT_SOURCES, component_of, event_pattern
from gdpr_operator.report import status_update

ACCOUNT_ID = "111111111111"
ALICE = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Admin/alice"


def _api_call(source: str, name: str, region: str = "eu-west-1", **identity: Any) -> str:
    return json.dumps(
        {
            "detail-type": "AWS API Call via CloudTrail",
            "source": f"aws.{source.split('.', maxsplit=1)[0]}",
            "account": ACCOUNT_ID,
            "region": region,
            "time": "2026-12-01T13:02:11Z",
            "detail": {
                "eventSource": source,
                "eventName": name,
                "awsRegion": region,
                "recipientAccountId": ACCOUNT_ID,
                "eventTime": "2026-12-01T13:02:11Z",
                "userIdentity": {"type": "AssumedRole", "arn": ALICE, **identity},
            },
        }
    )


def test_an_api_call_is_read_into_who_what_where_and_when() -> None:
    cause = cause_of(_api_call("guardduty.amazonaws.com", "UpdateDetector"), 5.0)
    assert cause == DriftCause(
        account_id=ACCOUNT_ID,
        region="eu-west-1",
        component="GuardDuty",
        principal=ALICE,
        action="UpdateDetector",
        event_time="2026-12-01T13:02:11Z",
        received_at=5.0,
    )
    assert cause.describe() == f"by {ALICE} (UpdateDetector at 2026-12-01T13:02:11Z)"


def test_iam_changes_concern_the_whole_account_and_state_changes_name_the_instance() -> None:
    iam = cause_of(_api_call("iam.amazonaws.com", "DetachRolePolicy", "us-east-1"), 0.0)
    assert iam is not None
    assert (iam.region, iam.component) == ("global", "AgentRole")
    state = cause_of(
        json.dumps(
            {
                "detail-type": "EC2 Instance State-change Notification",
                "account": ACCOUNT_ID,
                "region": "eu-west-1",
                "time": "2026-12-01T13:02:11Z",
                "detail": {"instance-id": "i-0abc", "state": "running"},
            }
        ),
        0.0,
    )
    assert state is not None
    assert (state.component, state.principal, state.action) == (
        "InstanceProfiles",
        "",
        "instance i-0abc running",
    )


def test_what_concerns_nothing_managed_or_cannot_be_read_is_no_cause() -> None:
    assert cause_of(_api_call("guardduty.amazonaws.com", "ArchiveFindings"), 0.0) is None
    assert cause_of("not json", 0.0) is None
    assert cause_of('["a list"]', 0.0) is None


def test_the_rule_s_pattern_matches_exactly_the_routed_calls() -> None:
    (calls, states, findings) = event_pattern()["$or"]
    assert set(calls["detail"]["eventSource"]) == set(EVENT_SOURCES)
    for source, names in EVENT_SOURCES.items():
        assert f"aws.{source.split('.')[0]}" in calls["source"]
        for name, component in names.items():
            assert name in calls["detail"]["eventName"]
            assert component_of(calls["detail-type"][0], source, name) == component
    assert component_of(states["detail-type"][0], "", "") == "InstanceProfiles"
    assert findings == {"detail-type": ["GuardDuty Finding"], "source": ["aws.guardduty"]}
    assert component_of(findings["detail-type"][0], "", "") == "GuardDuty"


def test_a_guardduty_finding_concerns_guardduty_and_names_the_finding_not_a_principal() -> None:
    finding = cause_of(
        json.dumps(
            {
                "detail-type": "GuardDuty Finding",
                "source": "aws.guardduty",
                "account": ACCOUNT_ID,
                "region": "eu-west-1",
                "time": "2026-12-01T13:02:30Z",
                "detail": {
                    "schemaVersion": "2.0",
                    "accountId": ACCOUNT_ID,
                    "region": "eu-west-1",
                    "id": "7ab1",
                    "type": "Recon:EC2/PortProbeUnprotectedPort",
                    "severity": 5.0,
                    "resource": {"resourceType": "Instance"},
                    "updatedAt": "2026-12-01T13:02:11.000Z",
                },
            }
        ),
        3.0,
    )
    assert finding == DriftCause(
        account_id=ACCOUNT_ID,
        region="eu-west-1",
        component="GuardDuty",
        principal="",
        action="GuardDuty finding Recon:EC2/PortProbeUnprotectedPort (severity 5)",
        event_time="2026-12-01T13:02:11.000Z",
        received_at=3.0,
    )
    assert finding.describe() == (
        "(GuardDuty finding Recon:EC2/PortProbeUnprotectedPort (severity 5)"
        " at 2026-12-01T13:02:11.000Z)"
    )


def test_the_operator_s_own_session_is_recognised_only_through_its_role() -> None:
    assumed = parse_aws_account(
        "prod",
        {
            "accountId": ACCOUNT_ID,
            "allowedNamespaces": ["security"],
            "assumeRole": {
                "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ops/gdpr",
                "sessionName": "ops-session",
            },
        },
    )
    assert own_principal(assumed) == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/gdpr/ops-session"
    own = parse_aws_account("own", {"accountId": ACCOUNT_ID, "allowedNamespaces": ["security"]})
    assert own_principal(own) is None


def test_a_cause_concerns_bound_managed_monitorings_covering_its_region() -> None:
    def account(namespaces: list[str], mode: str = "Managed") -> Any:
        return parse_aws_account(
            "x",
            {
                "accountId": ACCOUNT_ID,
                "allowedNamespaces": namespaces,
                "events": {"mode": mode},
            },
        )

    accounts = {
        "prod": account(["security"]),
        "external": account(["security"], "External"),
        "off": account(["security"], "Off"),
        "other": account(["elsewhere"]),
    }
    monitorings = {
        ("security", "web"): parse_monitoring({"accounts": ["prod"], "regions": ["eu-west-1"]}),
        ("security", "all"): parse_monitoring({"accounts": ["prod"], "regions": ["*"]}),
        ("security", "far"): parse_monitoring({"accounts": ["prod"], "regions": ["us-west-2"]}),
        ("security", "off"): parse_monitoring({"accounts": ["off"], "regions": ["eu-west-1"]}),
        # External: the owner's plumbing, polled and acted on as Managed's.
        ("security", "ext"): parse_monitoring({"accounts": ["external"], "regions": ["*"]}),
        # Names an account that does not bind its namespace: never woken by its events.
        ("security", "unbound"): parse_monitoring({"accounts": ["other"], "regions": ["*"]}),
    }
    assert accounts["off"].drift_events is DriftEventsMode.OFF
    assert accounts["external"].drift_events is DriftEventsMode.EXTERNAL
    cause = cause_of(_api_call("guardduty.amazonaws.com", "UpdateDetector"), 0.0)
    assert cause is not None
    found = covering(cause, accounts, monitorings)
    assert sorted(key for key, _ in found) == [
        ("security", "all"),
        ("security", "ext"),
        ("security", "web"),
    ]
    assert {named.account for _, named in found} == {"prod", "external"}
    iam = cause_of(_api_call("iam.amazonaws.com", "DeleteRole", "us-east-1"), 0.0)
    assert iam is not None
    assert len(covering(iam, accounts, monitorings)) == 4


def test_the_event_and_the_condition_name_who_caused_the_drift_repaired() -> None:
    cause = DriftCause(
        ACCOUNT_ID,
        "eu-west-1",
        "GuardDuty",
        ALICE,
        "UpdateDetector",
        "2026-12-01T13:02:11Z",
        0.0,
        account="prod",
    )
    repaired = CheckResult(
        "guardduty.detector_enabled",
        "prod",
        "eu-west-1",
        "det-1",
        compliant=False,
        reason="detector det-1 is DISABLED",
        action=Action.REMEDIATED,
    )
    outcome = Outcome(
        results=(repaired,),
        targets=(("prod", "eu-west-1"),),
        components=(("GuardDuty", ("guardduty.detector_enabled",)),),
    )
    changed = 1796130131.0  # 2026-12-01T13:02:11Z
    update = status_update(
        {},
        1,
        outcome,
        "2026-12-01T13:02:14Z",
        enforce=True,
        causes=[cause],
        finished_at=changed + 3.1,
    )
    (drift,) = [event for event in update.events if event.reason == "DriftDetected"]
    assert drift.type == "Warning"
    assert drift.message == (
        "GuardDuty in prod/eu-west-1: guardduty.detector_enabled det-1: detector det-1 is "
        f"DISABLED; changed by {ALICE} (UpdateDetector at 2026-12-01T13:02:11Z); repaired 3.1 s "
        "after the change"
    )
    (guardduty,) = [c for c in update.status["conditions"] if c["type"] == "GuardDuty"]
    assert guardduty["reason"] == "Remediated"
    assert guardduty["message"].endswith(
        f"; changed by {ALICE} (UpdateDetector at 2026-12-01T13:02:11Z)"
    )

    # A change that drifted nothing (the pass found it compliant) names nobody.
    calm = Outcome(
        results=(
            CheckResult("guardduty.detector_enabled", "prod", "eu-west-1", "det-1", True, "ok"),
        ),
        targets=outcome.targets,
        components=outcome.components,
    )
    quiet = status_update({}, 1, calm, "2026-12-01T13:02:14Z", causes=[cause], finished_at=0.0)
    assert not [event for event in quiet.events if event.reason == "DriftDetected"]
    (condition,) = [c for c in quiet.status["conditions"] if c["type"] == "GuardDuty"]
    assert ALICE not in condition["message"]
