"""The sandbox's delivery to a rule's target that is an event bus of another account in another
Region (`_ext_events`): the event arrives unchanged (its account and region the sender's) when
the bus's resource policy lets the sender's account in and the target's role trusts
EventBridge and may put events on the bus; it is dropped when either does not, or when a
bus in another Region is targeted without a role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.reconcilers.drift_events import event_pattern

from fixtures.drift_events import create_stack
from fixtures.sandbox import new_scratch_account

HUB_REGION, MEMBER_REGION = "eu-west-1", "eu-central-1"
BUS, ROLE = "hub", "forwarder"
PATTERN = json.dumps({"source": ["test.forwarding"]})


async def _hub(
    layer: Aws, hub: AccountAccess, member: AccountAccess, *, let_in: bool, pattern: str = PATTERN
) -> str:
    """The hub bus, its rule to a queue; the bus's policy letting the member in, or not."""
    target = Target(hub, HUB_REGION)
    bus = (await layer.call(target, "events", "create_event_bus", Name=BUS))["EventBusArn"]
    allowed = member.account_id if let_in else "999999999999"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Members",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{allowed}:root"]},
                "Action": "events:PutEvents",
                "Resource": bus,
            }
        ],
    }
    await layer.call(
        target, "events", "put_permission", EventBusName=BUS, Policy=json.dumps(policy)
    )
    url = (await layer.call(target, "sqs", "create_queue", QueueName="hub"))["QueueUrl"]
    await layer.call(
        target, "events", "put_rule", Name="in", EventBusName=BUS, EventPattern=pattern
    )
    await layer.call(
        target,
        "events",
        "put_targets",
        Rule="in",
        EventBusName=BUS,
        Targets=[{"Id": "queue", "Arn": f"arn:aws:sqs:{HUB_REGION}:{hub.account_id}:hub"}],
    )
    return str(url)


async def _member(layer: Aws, member: AccountAccess, bus: str, *, role: str | None) -> None:
    """The member's rule on its default bus targeting `bus`, through a role allowed to put
    events on `role` (a bus ARN), or through none (role None)."""
    target = Target(member, MEMBER_REGION)
    await layer.call(target, "events", "put_rule", Name="out", EventPattern=PATTERN)
    forward: dict[str, Any] = {"Id": "hub", "Arn": bus}
    if role is not None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": member.account_id}},
                }
            ],
        }
        iam = Target(member, "us-east-1")
        made = await layer.call(
            iam, "iam", "create_role", RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust)
        )
        allow = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": role}],
        }
        await layer.call(
            iam,
            "iam",
            "put_role_policy",
            RoleName=ROLE,
            PolicyName="forward",
            PolicyDocument=json.dumps(allow),
        )
        forward["RoleArn"] = made["Role"]["Arn"]
    await layer.call(target, "events", "put_targets", Rule="out", Targets=[forward])


async def _sent_and_received(
    layer: Aws,
    hub: AccountAccess,
    member: AccountAccess,
    url: str,
    entry: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    sent = entry or {"Source": "test.forwarding", "DetailType": "x", "Detail": '{"n": 1}'}
    await layer.call(Target(member, MEMBER_REGION), "events", "put_events", Entries=[sent])
    reply = await layer.call(
        Target(hub, HUB_REGION), "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10
    )
    return [json.loads(message["Body"]) for message in reply.get("Messages", [])]


def _bus(hub: AccountAccess) -> str:
    return f"arn:aws:events:{HUB_REGION}:{hub.account_id}:event-bus/{BUS}"


async def test_an_allowed_forward_arrives_unchanged(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    hub, member = scratch_account, new_scratch_account()
    url = await _hub(layer, hub, member, let_in=True)
    await _member(layer, member, _bus(hub), role=_bus(hub))
    (event,) = await _sent_and_received(layer, hub, member, url)
    assert (event["account"], event["region"]) == (member.account_id, MEMBER_REGION)
    assert (event["source"], event["detail"]) == ("test.forwarding", {"n": 1})


@pytest.mark.parametrize(
    ("let_in", "role"),
    [
        pytest.param(False, "bus", id="the bus's policy does not let the account in"),
        pytest.param(True, "another bus", id="the role may not put events on the bus"),
        pytest.param(True, None, id="no role for a bus in another Region"),
    ],
)
async def test_a_denied_forward_is_not_delivered(
    layer: Aws, scratch_account: AccountAccess, let_in: bool, role: str | None
) -> None:
    hub, member = scratch_account, new_scratch_account()
    url = await _hub(layer, hub, member, let_in=let_in)
    allowed_on = {"bus": _bus(hub), "another bus": _bus(hub) + "-other", None: None}[role]
    await _member(layer, member, _bus(hub), role=allowed_on)
    assert await _sent_and_received(layer, hub, member, url) == []


async def test_a_forward_through_the_shipped_stack_s_role_arrives(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    # The External template's stack with HubBusArn: its rule forwards through the role the
    # stack makes, whose inline policy moto's CloudFormation keeps as a document.
    hub, member = scratch_account, new_scratch_account()
    url = await _hub(layer, hub, member, let_in=True, pattern=json.dumps(event_pattern()))
    await create_stack(layer, Target(member, MEMBER_REGION), {"HubBusArn": _bus(hub)})
    detail = {"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector"}
    entry = {
        "Source": "aws.guardduty",
        "DetailType": "AWS API Call via CloudTrail",
        "Detail": json.dumps(detail),
    }

    (event,) = await _sent_and_received(layer, hub, member, url, entry)

    assert (event["account"], event["region"]) == (member.account_id, MEMBER_REGION)
    assert event["detail"] == detail
