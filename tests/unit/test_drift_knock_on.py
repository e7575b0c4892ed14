"""Knock-on drift, with the operator's own components: the dependencies each declares
(`depends_on`) and the slices a change brings through them, an instance launched or an
instance profile broken running every component whose checks it can change."""

from __future__ import annotations

import dataclasses
import json

from gdpr_operator import engine
from gdpr_operator.engine import DriftCause, Outcome, Slice, cause_of
from gdpr_operator.model import GLOBAL_REGION, parse_monitoring
from gdpr_operator.reconcilers import RECONCILERS
from gdpr_operator.reconcilers.drift_events import EVENT_SOURCES

ACCOUNT_ID = "111111111111"
EU, NORTH = "eu-west-1", "eu-north-1"
TARGETS = (("prod", EU), ("prod", NORTH), ("shop", EU))
INSTANCE_COMPONENTS = ("InstanceProfiles", "CloudWatchAgent", "LogGroups")
"""What acts on the selected instances in a region: their profile, the agent the profile
lets SSM deliver, and the log groups the agent writes to."""


def _event(detail_type: str, source: str = "", name: str = "", region: str = EU) -> str:
    detail = {"eventSource": source, "eventName": name, "awsRegion": region} if name else {}
    return json.dumps(
        {"detail-type": detail_type, "account": ACCOUNT_ID, "region": region, "detail": detail}
    )


def _api_call(source: str, name: str, region: str = EU) -> str:
    return _event("AWS API Call via CloudTrail", source, name, region)


def _cause(body: str) -> DriftCause:
    cause = cause_of(body, 0.0)
    assert cause is not None, body
    return dataclasses.replace(cause, account="prod")  # as matched to its AwsAccount


def _slices(body: str, **spec: object) -> frozenset[Slice] | None:
    monitoring = parse_monitoring(
        {
            "accounts": ["prod", "shop"],
            "regions": [EU, NORTH],
            "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
            **spec,
        }
    )
    return engine.slices_for([_cause(body)], monitoring, Outcome(targets=TARGETS))


def test_every_declared_dependency_is_a_component_and_none_is_its_own() -> None:
    names = {reconciler.component for reconciler in RECONCILERS}
    for reconciler in RECONCILERS:
        assert reconciler.depends_on <= names - {reconciler.component}, reconciler.component


def test_an_instance_launched_started_or_retagged_runs_everything_acting_on_instances() -> None:
    state_change = _event("EC2 Instance State-change Notification", region=NORTH)
    calls = [_api_call("ec2.amazonaws.com", name, NORTH) for name in ("RunInstances", "DeleteTags")]
    for body in (*calls, state_change):
        assert _slices(body) == {Slice("prod", NORTH, name) for name in INSTANCE_COMPONENTS}, body


def test_a_profile_taken_off_an_instance_runs_the_instance_components_in_its_region() -> None:
    body = _api_call("ec2.amazonaws.com", "DisassociateIamInstanceProfile")
    assert _slices(body) == {Slice("prod", EU, name) for name in INSTANCE_COMPONENTS}


def test_the_agent_s_role_or_profile_broken_runs_the_instances_of_every_covered_region() -> None:
    expected = {
        Slice("prod", GLOBAL_REGION, "AgentRole"),
        *(Slice("prod", region, name) for region in (EU, NORTH) for name in INSTANCE_COMPONENTS),
    }
    for name in (
        "DeleteInstanceProfile",
        "RemoveRoleFromInstanceProfile",
        "DeleteRole",
        "DetachRolePolicy",
    ):
        assert name in EVENT_SOURCES["iam.amazonaws.com"], name
        assert _slices(_api_call("iam.amazonaws.com", name, "us-east-1")) == expected, name
    # Without the agent, only the profiles depend on the role.
    assert _slices(
        _api_call("iam.amazonaws.com", "DeleteInstanceProfile", "us-east-1"),
        cloudWatchAgent={"enabled": False},
    ) == {
        Slice("prod", GLOBAL_REGION, "AgentRole"),
        Slice("prod", EU, "InstanceProfiles"),
        Slice("prod", NORTH, "InstanceProfiles"),
    }


def test_a_change_runs_its_component_and_only_what_depends_on_it() -> None:
    assert _slices(_api_call("logs.amazonaws.com", "PutRetentionPolicy")) == {
        Slice("prod", EU, "LogGroups")
    }
    assert _slices(_api_call("ssm.amazonaws.com", "DeleteAssociation")) == {
        Slice("prod", EU, "CloudWatchAgent"),
        Slice("prod", EU, "LogGroups"),
    }
