"""Drift events' pure parts: what the plumbing lacks, and the calls that make it as declared."""

from __future__ import annotations

import dataclasses
import json

from gdpr_operator.aws import AccountAccess, Target
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.drift_events import QUEUE_NAME, RULE_NAME, event_pattern
from gdpr_operator.reconcilers.drift_events._checks import DELIVERY
from gdpr_operator.reconcilers.drift_events._diff import (
    Plumbing,
    delivery_delta,
    external_delta,
    queue_arn,
    queue_policy,
)

TAGS = ownership_tags("security/web")
URL = f"https://sqs.eu-west-1.amazonaws.com/111111111111/{QUEUE_NAME}"


def _target() -> Target:
    return Target(AccountAccess("prod", "111111111111"), "eu-west-1")


def _declared(target: Target) -> Plumbing:
    return Plumbing(
        queue_url=URL,
        queue_tags=TAGS,
        queue_policy=queue_policy(target),
        rule={"Name": RULE_NAME, "State": "ENABLED", "EventPattern": json.dumps(event_pattern())},
        rule_tags=TAGS,
        target_arns=(queue_arn(target),),
    )


def test_nothing_yet_is_made_queue_first_then_the_rule_and_its_target() -> None:
    delta = delivery_delta(Plumbing(), _target(), TAGS)
    assert delta.resource == RULE_NAME
    assert delta.problems == {
        DELIVERY: f"queue {QUEUE_NAME} does not exist; rule {RULE_NAME} does not exist"
    }
    assert [call.operation for call in delta.calls] == ["create_queue", "put_rule", "put_targets"]
    assert "Tags" in delta.calls[1].params
    assert not delta.left_alone


def test_declared_plumbing_is_compliant() -> None:
    delta = delivery_delta(_declared(_target()), _target(), TAGS)
    assert not delta.wrong
    assert delta.calls == ()


def test_a_disabled_rule_is_put_again_without_tags() -> None:
    target = _target()
    declared = _declared(target)
    found = dataclasses.replace(declared, rule={**(declared.rule or {}), "State": "DISABLED"})
    delta = delivery_delta(found, target, TAGS)
    assert delta.problems == {DELIVERY: f"rule {RULE_NAME} is DISABLED"}
    assert [call.operation for call in delta.calls] == ["put_rule"]
    assert "Tags" not in delta.calls[0].params


def test_what_is_not_the_operators_is_left_alone() -> None:
    target = _target()
    found = Plumbing(queue_url=URL, queue_tags={"team": "other"})
    delta = delivery_delta(found, target, TAGS)
    assert delta.wrong
    assert delta.left_alone == (
        f"queue {QUEUE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    )


def test_external_makes_no_call_and_names_what_to_change_and_the_stack() -> None:
    delta = external_delta(Plumbing(), _target())
    assert delta.problems == {
        DELIVERY: f"queue {QUEUE_NAME} does not exist; rule {RULE_NAME} does not exist; "
        "create or update the CloudFormation stack from deploy/events/drift-events.yaml here"
    }
    assert delta.calls == ()
    assert delta.not_repairable == (
        "events.mode External: the account's owner makes it, not the operator"
    )
    assert not delta.left_alone


def test_external_plumbing_as_the_template_makes_it_is_compliant_without_tags() -> None:
    target = _target()
    untagged = dataclasses.replace(_declared(target), queue_tags={}, rule_tags={})
    delta = external_delta(untagged, target)
    assert not delta.wrong
    assert (delta.calls, delta.left_alone) == ((), "")


def test_external_reports_a_changed_policy_pattern_or_target() -> None:
    target = _target()
    declared = _declared(target)
    found = dataclasses.replace(
        declared,
        queue_policy={"Version": "2012-10-17", "Statement": []},
        rule={**(declared.rule or {}), "EventPattern": '{"source": ["aws.s3"]}'},
        target_arns=(),
    )
    (problem,) = external_delta(found, target).problems.values()
    assert problem == (
        f"queue {QUEUE_NAME} policy is not the declared one; "
        f"rule {RULE_NAME} pattern is not the declared one; "
        f"rule {RULE_NAME} does not target queue {QUEUE_NAME}; "
        "create or update the CloudFormation stack from deploy/events/drift-events.yaml here"
    )
