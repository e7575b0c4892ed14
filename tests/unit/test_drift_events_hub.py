"""The events hub's pure parts: the setting, the hub bus's resource policy, the hub queue's
policy, the forwarder role's documents, and the deltas of the hub and of a member."""

from __future__ import annotations

import json

import pytest

from gdpr_operator.aws import AccountAccess, Target
from gdpr_operator.engine import hub_members
from gdpr_operator.model import EventsHub, parse_aws_account, parse_events_hub
from gdpr_operator.reconcilers._service_roles import ServiceRole
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.drift_events import (
    BUS_NAME,
    QUEUE_NAME,
    RULE_NAME,
    Hub,
    bus_policy,
    event_pattern,
    forwarder_policy,
    forwarder_role_arn,
    forwarder_trust,
    hub_queue_policy,
)
from gdpr_operator.reconcilers.drift_events._diff import Plumbing
from gdpr_operator.reconcilers.drift_events._hub import (
    HubPlumbing,
    forwarding_delta,
    hub_delta,
)

HUB = Hub("111111111111", "eu-west-1")
MEMBER = Target(AccountAccess("web", "222222222222"), "eu-central-1")
TAGS = ownership_tags("security/web")
URL = f"https://sqs.eu-central-1.amazonaws.com/222222222222/{QUEUE_NAME}"
RULE = {"Name": RULE_NAME, "State": "ENABLED", "EventPattern": json.dumps(event_pattern())}


def test_the_setting_reads_account_slash_region() -> None:
    assert parse_events_hub("security/eu-west-1") == EventsHub("security", "eu-west-1")
    assert str(parse_events_hub("security/eu-west-1")) == "security/eu-west-1"
    for wrong in ("security", "security/", "/eu-west-1", "Sec/eu-west-1", "a/b/c"):
        with pytest.raises(ValueError, match="ACCOUNT/REGION"):
            parse_events_hub(wrong)


def test_the_bus_lets_exactly_the_members_and_the_hub_put_events() -> None:
    (statement,) = bus_policy(HUB, {"333333333333", "222222222222"})["Statement"]
    assert statement["Principal"] == {
        "AWS": [f"arn:aws:iam::{a}:root" for a in ("111111111111", "222222222222", "333333333333")]
    }
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == (f"arn:aws:events:eu-west-1:111111111111:event-bus/{BUS_NAME}")
    alone = bus_policy(HUB, ())["Statement"][0]["Principal"]
    assert alone == {"AWS": ["arn:aws:iam::111111111111:root"]}


def test_the_members_are_the_accounts_whose_events_are_consumed() -> None:
    def account(name: str, account_id: str, mode: str) -> object:
        return parse_aws_account(
            name, {"accountId": account_id, "allowedNamespaces": [], "events": {"mode": mode}}
        )

    accounts = {
        "a": account("a", "222222222222", "Managed"),
        "b": account("b", "333333333333", "External"),
        "c": account("c", "444444444444", "Off"),
    }
    assert hub_members(accounts) == {"222222222222", "333333333333"}  # type: ignore[arg-type]


def test_only_the_hub_bus_s_rule_may_send_to_the_hub_queue() -> None:
    (statement,) = hub_queue_policy(HUB)["Statement"]
    assert statement["Resource"] == f"arn:aws:sqs:eu-west-1:111111111111:{QUEUE_NAME}"
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": f"arn:aws:events:eu-west-1:111111111111:rule/{BUS_NAME}/{RULE_NAME}"
        }
    }


def test_the_forwarder_role_trusts_eventbridge_for_its_account_and_puts_on_the_hub_bus() -> None:
    (trust,) = forwarder_trust("222222222222")["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "222222222222"}}
    (allow,) = forwarder_policy(HUB)["Statement"]
    assert (allow["Action"], allow["Resource"]) == ("events:PutEvents", HUB.bus_arn)
    assert forwarder_role_arn("222222222222") == (
        "arn:aws:iam::222222222222:role/gdpr-operator/gdpr-operator-drift-events-forwarder"
    )


def test_an_empty_hub_gets_bus_policy_queue_rule_and_target_in_that_order() -> None:
    delta = hub_delta(HubPlumbing(), HUB, {"222222222222"}, TAGS)
    assert [(c.service, c.operation) for c in delta.calls] == [
        ("events", "create_event_bus"),
        ("events", "put_permission"),
        ("sqs", "create_queue"),
        ("events", "put_rule"),
        ("events", "put_targets"),
    ]
    assert all(c.params.get("EventBusName", BUS_NAME) == BUS_NAME for c in delta.calls)
    assert not delta.left_alone


def test_a_hub_whose_members_changed_gets_its_bus_policy_only() -> None:
    declared = HubPlumbing(
        bus_arn=HUB.bus_arn,
        bus_policy=bus_policy(HUB, {"222222222222"}),
        bus_tags=TAGS,
        plumbing=Plumbing(
            queue_url=URL,
            queue_tags=TAGS,
            queue_policy=hub_queue_policy(HUB),
            rule=RULE,
            rule_tags=TAGS,
            target_arns=(HUB.queue_arn,),
        ),
    )
    assert not hub_delta(declared, HUB, {"222222222222"}, TAGS).wrong
    grown = hub_delta(declared, HUB, {"222222222222", "333333333333"}, TAGS)
    assert [c.operation for c in grown.calls] == ["put_permission"]


def test_a_bus_not_the_operator_s_is_left_alone() -> None:
    delta = hub_delta(HubPlumbing(bus_arn=HUB.bus_arn, bus_tags={}), HUB, (), TAGS)
    assert "is not the operator's" in delta.left_alone


def test_a_member_forwards_through_the_role_and_loses_its_own_queue() -> None:
    old = Plumbing(
        queue_url=URL,
        queue_tags=TAGS,
        rule=RULE,
        rule_tags=TAGS,
        target_arns=("arn:aws:sqs:eu-central-1:222222222222:" + QUEUE_NAME,),
    )
    delta = forwarding_delta(old, None, MEMBER, HUB, TAGS)
    assert [(c.service, c.operation) for c in delta.calls] == [
        ("iam", "create_role"),
        ("iam", "put_role_policy"),
        ("events", "put_targets"),
        ("sqs", "delete_queue"),
    ]
    assert all(c.once for c in delta.calls if c.service == "iam")
    (target,) = delta.calls[2].params["Targets"]
    assert target == {
        "Id": "gdpr-operator-queue",
        "Arn": HUB.bus_arn,
        "RoleArn": forwarder_role_arn("222222222222"),
    }


def test_the_hub_account_region_keeps_the_hub_s_queue_as_a_member() -> None:
    at_hub = Target(AccountAccess("security", HUB.account_id), HUB.region)
    found = Plumbing(queue_url=URL, queue_tags=TAGS)
    delta = forwarding_delta(found, None, at_hub, HUB, TAGS)
    assert "delete_queue" not in [c.operation for c in delta.calls]


def test_a_forwarder_role_not_the_operator_s_is_left_alone() -> None:
    foreign = ServiceRole(path="/", tags={}, trust={})
    delta = forwarding_delta(Plumbing(), foreign, MEMBER, HUB, TAGS)
    assert "is not the operator's" in delta.left_alone
