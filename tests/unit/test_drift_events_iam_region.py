"""Drift events' pure parts for IAM, whose events AWS delivers to us-east-1 only: which
Regions get the plumbing, which of them match IAM's events alone, the narrower pattern and
what it brings; the queues the consumer polls; an IAM cause waking the account's
GdprMonitorings whatever Regions they cover, tenancy honoured; its targeted pass."""

from __future__ import annotations

import json

from gdpr_operator.aws import AccountAccess, Target
from gdpr_operator.engine import Outcome, Slice, cause_of, event_queues, slices_for
from gdpr_operator.handlers._drift_events import covering
from gdpr_operator.model import GLOBAL_REGION, AwsAccountSpec, DriftEventsMode
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.drift_events import (
    EVENT_SOURCES,
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    RULE_NAME,
    component_of,
    event_pattern,
    iam_only,
    plumbing_regions,
)
from gdpr_operator.reconcilers.drift_events._checks import DELIVERY
from gdpr_operator.reconcilers.drift_events._diff import (
    IAM_ONLY_PARAMETER,
    Plumbing,
    delivery_delta,
    external_delta,
    queue_arn,
    queue_policy,
)

from fixtures.contexts import spec

TAGS = ownership_tags("security/web")
ACCOUNT_ID = "111111111111"
ALICE = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Admin/alice"


def test_covered_regions_gain_us_east_1_once_any_is_covered() -> None:
    assert IAM_EVENTS_REGION == "us-east-1"
    assert plumbing_regions(["eu-west-1"]) == ("eu-west-1", "us-east-1")
    assert plumbing_regions(["eu-west-1", "us-east-1"]) == ("eu-west-1", "us-east-1")
    assert plumbing_regions(["*"]) == ("*",)
    assert plumbing_regions([]) == ()


def test_only_an_uncovered_us_east_1_matches_iam_s_events_alone() -> None:
    assert iam_only("us-east-1", ["eu-west-1"])
    assert not iam_only("us-east-1", ["eu-west-1", "us-east-1"])
    assert not iam_only("us-east-1", ["*"])
    assert not iam_only("eu-west-1", ["eu-west-1"])


def _api_call(source: str, name: str) -> dict[str, object]:
    return {
        "detail-type": "AWS API Call via CloudTrail",
        "source": f"aws.{source.split('.', 1)[0]}",
        "detail": {"eventSource": source, "eventName": name},
    }


def _matches(pattern: dict[str, object], event: dict[str, object]) -> bool:
    """EventBridge's matching for the shapes our patterns use: lists of values, nested
    objects, and a top-level $or."""
    if "$or" in pattern:
        return any(_matches(branch, event) for branch in pattern["$or"])  # type: ignore[attr-defined]
    for key, wanted in pattern.items():
        value = event.get(key)
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not _matches(wanted, value):
                return False
        elif value not in wanted:  # type: ignore[operator]
            return False
    return True


def test_the_iam_only_pattern_matches_every_iam_call_the_operator_acts_on_and_nothing_else() -> (
    None
):
    narrow, full = event_pattern(iam_only=True), event_pattern()
    iam_calls = [("iam.amazonaws.com", name) for name in EVENT_SOURCES["iam.amazonaws.com"]]
    others = [
        (source, name)
        for source, names in EVENT_SOURCES.items()
        if source != "iam.amazonaws.com"
        for name in names
    ]
    assert ("iam.amazonaws.com", "DetachRolePolicy") in iam_calls
    for call in iam_calls:
        assert _matches(narrow, _api_call(*call)), call
        assert _matches(full, _api_call(*call)), call
        assert component_of("AWS API Call via CloudTrail", *call) == "AgentRole"
    for call in others:
        assert not _matches(narrow, _api_call(*call)), call
        assert _matches(full, _api_call(*call)), call
    state_change = {"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2"}
    assert not _matches(narrow, state_change)
    assert _matches(full, state_change)


def _target(region: str = IAM_EVENTS_REGION) -> Target:
    return Target(AccountAccess("prod", ACCOUNT_ID), region)


def _iam_only_plumbing(target: Target) -> Plumbing:
    return Plumbing(
        queue_url=f"https://sqs.{target.region}.amazonaws.com/{ACCOUNT_ID}/{QUEUE_NAME}",
        queue_tags=TAGS,
        queue_policy=queue_policy(target),
        rule={
            "Name": RULE_NAME,
            "State": "ENABLED",
            "EventPattern": json.dumps(event_pattern(iam_only=True)),
        },
        rule_tags=TAGS,
        target_arns=(queue_arn(target),),
    )


def test_an_iam_only_rule_is_made_narrow_and_widened_once_us_east_1_is_covered() -> None:
    target = _target()
    made = delivery_delta(Plumbing(), target, TAGS, iam_only=True)
    (put_rule,) = [call for call in made.calls if call.operation == "put_rule"]
    assert json.loads(put_rule.params["EventPattern"]) == event_pattern(iam_only=True)

    narrow = _iam_only_plumbing(target)
    assert not delivery_delta(narrow, target, TAGS, iam_only=True).wrong
    widened = delivery_delta(narrow, target, TAGS)
    assert widened.problems == {DELIVERY: f"rule {RULE_NAME} pattern is not the declared one"}
    (put_rule,) = widened.calls
    assert json.loads(put_rule.params["EventPattern"]) == event_pattern()
    assert "Tags" not in put_rule.params


def test_external_names_the_iam_only_parameter_in_us_east_1() -> None:
    delta = external_delta(Plumbing(), _target(), iam_only=True)
    assert delta.calls == ()
    assert (delta.problems[DELIVERY] or "").endswith(
        f"with its parameter {IAM_ONLY_PARAMETER}=true"
    )
    assert not external_delta(_iam_only_plumbing(_target()), _target(), iam_only=True).wrong


def test_the_consumer_polls_each_account_s_us_east_1_queue_too() -> None:
    queues = event_queues([("prod", "eu-west-1"), ("prod", "eu-central-1"), ("dev", "us-east-1")])
    assert queues == {
        ("prod", "eu-west-1"),
        ("prod", "eu-central-1"),
        ("prod", "us-east-1"),
        ("dev", "us-east-1"),
    }


def _detach_event() -> str:
    return json.dumps(
        {
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "account": ACCOUNT_ID,
            "region": IAM_EVENTS_REGION,
            "detail": {
                "eventSource": "iam.amazonaws.com",
                "eventName": "DetachRolePolicy",
                "awsRegion": IAM_EVENTS_REGION,
                "recipientAccountId": ACCOUNT_ID,
                "userIdentity": {"arn": ALICE},
                "eventTime": "2026-12-03T10:00:00Z",
            },
        }
    )


def test_an_iam_event_from_us_east_1_wakes_the_account_s_monitorings_in_allowed_namespaces() -> (
    None
):
    cause = cause_of(_detach_event(), 0.0)
    assert cause is not None
    assert (cause.region, cause.component, cause.principal) == (GLOBAL_REGION, "AgentRole", ALICE)
    accounts = {
        "prod": AwsAccountSpec(
            "prod",
            ACCOUNT_ID,
            None,
            frozenset({"security"}),
            drift_events=DriftEventsMode.MANAGED,
        )
    }
    web = spec(["prod"], ["eu-west-1"], instances={"selector": {"tags": {"app": "web"}}})
    monitorings = {("security", "web"): web, ("other", "web"): web}
    woken = covering(cause, accounts, monitorings)
    assert [(key, named.account) for key, named in woken] == [(("security", "web"), "prod")]

    previous = Outcome(targets=(("prod", "eu-west-1"),))
    # The role account-wide, and what reads it in the region the last pass covered, not in
    # us-east-1, where the event came from.
    assert slices_for([woken[0][1]], web, previous) == {
        Slice("prod", GLOBAL_REGION, "AgentRole"),
        Slice("prod", "eu-west-1", "InstanceProfiles"),
        Slice("prod", "eu-west-1", "CloudWatchAgent"),
        Slice("prod", "eu-west-1", "LogGroups"),
    }
