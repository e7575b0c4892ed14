"""Drift events with an events hub, against the sandbox: the hub's bus, rule, queue and target
made and kept in the hub account-region; a member account-region in another Region whose
rule forwards to the hub bus through the forwarder role, its own queue of before removed, a
change there arriving in the hub's one queue with its own account and region; what is not
the operator's (a bus, a role of the same name) reported and left alone; release removing
only the operator's: the hub's, through the AwsAccount checker's write guard, once it is no
longer the installation's (its queue kept when the account-region's own drift events took it
over), and a member's forwarder role once it is back on its own queue."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Awaitable, Callable

import pytest

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.engine import LiveMonitoring, PlumbingRelease
from gdpr_operator.model import (
    Action,
    CheckResult,
    DriftEventsMode,
    EventsHub,
    SecretRef,
)
from gdpr_operator.reconcilers import AwsReads, AwsWrites, Context
from gdpr_operator.reconcilers.drift_events import (
    BUS_NAME,
    EXTERNAL_TEMPLATE,
    FORWARDER_ROLE_NAME,
    QUEUE_NAME,
    RULE_NAME,
    DriftEvents,
    reconcile_hub,
    remove_hub,
)
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.contexts import context, spec
from fixtures.deploy import REPO
from fixtures.sandbox import account_spec, new_scratch_account

HUB_REGION, MEMBER_REGION = "eu-west-1", "eu-central-1"
TAGS = {"gdpr-operator:managed-by": "gdpr-operator", "gdpr-operator:owner": "installation/hub"}
DRIFT_EVENTS = DriftEvents()


def _member_pass(
    layer: Aws, member: AccountAccess, hub: AccountAccess | None, region: str = MEMBER_REGION
) -> Context:
    monitoring = spec([member.name], [region], managementPolicy="Enforce")
    return dataclasses.replace(
        context(layer, monitoring),
        drift_events=DriftEventsMode.MANAGED,
        events_hub=None if hub is None else EventsHub("hub", HUB_REGION, hub.account_id),
    )


async def no_secret(ref: SecretRef) -> str:
    raise AssertionError("no ExternalId here")


async def _hub(layer: Aws, hub: AccountAccess, members: set[str]) -> list[CheckResult]:
    target = Target(hub, HUB_REGION)
    return list(
        await reconcile_hub(
            AwsReads(layer), AwsWrites(layer, lambda target: None), target, members, TAGS
        )
    )


async def test_a_member_in_another_region_forwards_to_the_hub_s_one_queue(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    hub, member = scratch_account, new_scratch_account()
    hub_target, member_target = Target(hub, HUB_REGION), Target(member, MEMBER_REGION)

    (made,) = await _hub(layer, hub, {member.account_id})
    assert (made.check, made.compliant, made.action) == ("events.hub", False, "remediated")
    assert writes(sandbox, hub) == [
        "events:CreateEventBus",
        "events:PutPermission",
        "events:PutRule",
        "events:PutTargets",
        "sqs:CreateQueue",
    ]
    since = time.time()
    (kept,) = await _hub(layer, hub, {member.account_id})
    assert (kept.compliant, kept.action) == (True, Action.NONE)
    assert writes(sandbox, hub, since) == []
    bus = await layer.call(hub_target, "events", "describe_event_bus", Name=BUS_NAME)
    (statement,) = json.loads(bus["Policy"])["Statement"]
    assert statement["Principal"] == {
        "AWS": sorted(f"arn:aws:iam::{a}:root" for a in (hub.account_id, member.account_id))
    }

    # Before the hub: the member's own queue. With it: forwarding, and that queue removed.
    await DRIFT_EVENTS.reconcile(_member_pass(layer, member, None), member_target)
    since = time.time()
    (moved,) = (
        await DRIFT_EVENTS.reconcile(_member_pass(layer, member, hub), member_target)
    ).results
    assert (moved.check, moved.compliant, moved.action) == ("events.delivery", False, "remediated")
    assert "is not used with an events hub" in moved.reason
    assert writes(sandbox, member, since) == [
        "events:PutTargets",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "sqs:DeleteQueue",
    ]
    assert (await layer.call(member_target, "sqs", "list_queues")).get("QueueUrls", []) == []
    (converged,) = (
        await DRIFT_EVENTS.reconcile(_member_pass(layer, member, hub), member_target)
    ).results
    assert (converged.compliant, converged.action) == (True, Action.NONE)

    # A change in the member account-region arrives in the hub's queue, as it was made.
    await layer.call(member_target, "logs", "create_log_group", logGroupName="/gdpr/web/x")
    url = (await layer.call(hub_target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    reply = await layer.call(
        hub_target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10
    )
    events = [json.loads(message["Body"]) for message in reply["Messages"]]
    (change,) = [e for e in events if e["detail"].get("eventName") == "CreateLogGroup"]
    assert (change["account"], change["region"]) == (member.account_id, MEMBER_REGION)


async def test_what_is_not_the_operator_s_is_left_alone(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    hub, member = scratch_account, new_scratch_account()
    await layer.call(Target(hub, HUB_REGION), "events", "create_event_bus", Name=BUS_NAME)
    await layer.call(
        Target(member, "us-east-1"),
        "iam",
        "create_role",
        RoleName=FORWARDER_ROLE_NAME,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    since = time.time()
    (bus,) = await _hub(layer, hub, {member.account_id})
    assert (bus.compliant, bus.action) == (False, Action.NONE)
    assert "is not the operator's" in bus.reason
    (role,) = (
        await DRIFT_EVENTS.reconcile(
            _member_pass(layer, member, hub), Target(member, MEMBER_REGION)
        )
    ).results
    assert (role.compliant, role.action) == (False, Action.NONE)
    assert f"role {FORWARDER_ROLE_NAME} exists and is not the operator's" in role.reason
    assert writes(sandbox, hub, since) == writes(sandbox, member, since) == []
    released = await remove_hub(
        AwsReads(layer), AwsWrites(layer, lambda target: None), Target(hub, HUB_REGION)
    )
    assert not released.released
    assert not (
        await DRIFT_EVENTS.release(_member_pass(layer, member, hub), Target(member, MEMBER_REGION))
    ).released


async def test_release_removes_the_member_s_rule_and_role_then_the_hub(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    hub, member = scratch_account, new_scratch_account()
    member_target = Target(member, MEMBER_REGION)
    await _hub(layer, hub, {member.account_id})
    await DRIFT_EVENTS.reconcile(_member_pass(layer, member, hub), member_target)

    released = await DRIFT_EVENTS.release(_member_pass(layer, member, hub), member_target)
    assert sorted(released.released) == [
        f"EventBridge rule {RULE_NAME} in {member_target}",
        f"IAM role {FORWARDER_ROLE_NAME} in {member.name}",
    ]
    roles = (await layer.call(Target(member, "us-east-1"), "iam", "list_roles"))["Roles"]
    assert FORWARDER_ROLE_NAME not in [role["RoleName"] for role in roles]

    hub_target = Target(hub, HUB_REGION)
    gone = await remove_hub(AwsReads(layer), AwsWrites(layer, lambda target: None), hub_target)
    assert sorted(gone.released) == [
        f"EventBridge bus {BUS_NAME} in {hub_target}",
        f"EventBridge rule {RULE_NAME} on bus {BUS_NAME} in {hub_target}",
        f"SQS queue {QUEUE_NAME} in {hub_target}",
    ]
    buses = (await layer.call(hub_target, "events", "list_event_buses"))["EventBuses"]
    assert [bus["Name"] for bus in buses] == ["default"]


async def test_external_with_a_hub_checks_the_owner_s_stack_and_writes_nothing(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    """The template with its HubBusArn parameter: the rule forwards to the hub bus through
    the stack's role, no queue; before the stack, the check names it, not repairable."""
    hub, member = scratch_account, new_scratch_account()
    target = Target(member, MEMBER_REGION)
    external = dataclasses.replace(
        _member_pass(layer, member, hub), drift_events=DriftEventsMode.EXTERNAL
    )
    (missing,) = (await DRIFT_EVENTS.reconcile(external, target)).results
    assert (missing.compliant, missing.action) == (False, Action.NONE)
    assert "HubBusArn=arn:aws:events:eu-west-1:" in missing.reason
    assert missing.not_repairable
    bus = f"arn:aws:events:{HUB_REGION}:{hub.account_id}:event-bus/{BUS_NAME}"
    await layer.call(
        target,
        "cloudformation",
        "create_stack",
        StackName="gdpr-operator-drift-events",
        TemplateBody=(REPO / EXTERNAL_TEMPLATE).read_text("utf-8"),
        Parameters=[{"ParameterKey": "HubBusArn", "ParameterValue": bus}],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", []) == []
    since = time.time()
    (made,) = (await DRIFT_EVENTS.reconcile(external, target)).results
    assert (made.compliant, made.action) == (True, Action.NONE), made.reason
    assert writes(sandbox, member, since) == []


async def test_leaving_managed_keeps_the_hub_s_queue_and_removes_the_forwarder(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    """engine.release_plumbing with a hub, for the hub's own account moving to Off: its
    member rule and forwarder role go, the hub's queue (the installation's) stays."""
    hub = scratch_account
    target = Target(hub, HUB_REGION)
    await _hub(layer, hub, set())
    await DRIFT_EVENTS.reconcile(_member_pass(layer, hub, hub, HUB_REGION), target)
    live = [LiveMonitoring("security", "web", spec([hub.name], [HUB_REGION]))]
    released = await engine.release_plumbing(
        account_spec(hub),
        live,
        no_secret,
        layer,
        unchanged=lambda: True,
        events_hub=EventsHub("hub", HUB_REGION, hub.account_id),
    )
    assert released.errors == ()
    assert sorted(released.released) == [
        f"EventBridge rule {RULE_NAME} in {target}",
        f"IAM role {FORWARDER_ROLE_NAME} in {hub.name}",
    ]
    url = await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME)
    assert url["QueueUrl"].endswith(QUEUE_NAME)


# Releasing the hub once it is no longer the installation's (engine.release_hub, as the hub
# account's checker calls it), and a member going back from forwarding to its own queue.


async def _release_hub(
    layer: Aws, hub: AccountAccess, *, unchanged: bool = True
) -> PlumbingRelease:
    return await engine.release_hub(
        account_spec(hub), HUB_REGION, no_secret, layer, unchanged=lambda: unchanged
    )


def _hub_resources(hub_target: Target) -> list[str]:
    return sorted(
        [
            f"EventBridge bus {BUS_NAME} in {hub_target}",
            f"EventBridge rule {RULE_NAME} on bus {BUS_NAME} in {hub_target}",
            f"SQS queue {QUEUE_NAME} in {hub_target}",
        ]
    )


async def _queues(layer: Aws, target: Target) -> list[str]:
    urls = (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", [])
    return [url.rsplit("/", 1)[-1] for url in urls]


async def test_the_hub_s_release_goes_through_the_guard_and_removes_the_operator_s_hub(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    hub = scratch_account
    hub_target = Target(hub, HUB_REGION)
    await _hub(layer, hub, set())

    since = time.time()
    refused = await _release_hub(layer, hub, unchanged=False)  # the AwsAccount changed
    (error,) = refused.errors
    assert f"AwsAccount {hub.name} changed" in error
    assert (refused.released, writes(sandbox, hub, since)) == ((), [])

    released = await _release_hub(layer, hub)
    assert released.errors == ()
    assert sorted(released.released) == _hub_resources(hub_target)
    assert writes(sandbox, hub, since) == [
        "events:DeleteEventBus",
        "events:DeleteRule",
        "events:RemoveTargets",
        "sqs:DeleteQueue",
    ]
    buses = (await layer.call(hub_target, "events", "list_event_buses"))["EventBuses"]
    assert [bus["Name"] for bus in buses] == ["default"]
    assert await _queues(layer, hub_target) == []

    since = time.time()
    again = await _release_hub(layer, hub)  # nothing of it left: reads only
    assert (again.released, again.errors) == ((), ())
    assert writes(sandbox, hub, since) == []


async def test_the_hub_s_release_leaves_what_is_not_the_operator_s_of_the_same_names(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    hub = scratch_account
    hub_target = Target(hub, HUB_REGION)
    await layer.call(hub_target, "events", "create_event_bus", Name=BUS_NAME)
    await layer.call(
        hub_target,
        "events",
        "put_rule",
        Name=RULE_NAME,
        EventBusName=BUS_NAME,
        EventPattern=json.dumps({"source": ["aws.logs"]}),
    )
    await layer.call(hub_target, "sqs", "create_queue", QueueName=QUEUE_NAME)
    queue = f"arn:aws:sqs:{HUB_REGION}:{hub.account_id}:{QUEUE_NAME}"
    await layer.call(
        hub_target,
        "events",
        "put_targets",
        Rule=RULE_NAME,
        EventBusName=BUS_NAME,
        Targets=[{"Id": "admins", "Arn": queue}],
    )

    since = time.time()
    released = await _release_hub(layer, hub)
    assert (released.released, released.errors) == ((), ())
    assert writes(sandbox, hub, since) == []
    listed = await layer.call(
        hub_target, "events", "list_targets_by_rule", Rule=RULE_NAME, EventBusName=BUS_NAME
    )
    assert [target["Arn"] for target in listed["Targets"]] == [queue]
    assert await _queues(layer, hub_target) == [QUEUE_NAME]


async def test_the_hub_s_queue_stays_once_a_pass_without_a_hub_took_it_over(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    """The hub account-region's own drift events (a pass without a hub) use the queue of
    the same name: once they do, releasing the hub removes its bus and rule, not the queue."""
    hub = scratch_account
    hub_target = Target(hub, HUB_REGION)
    await _hub(layer, hub, set())
    await DRIFT_EVENTS.reconcile(_member_pass(layer, hub, None, HUB_REGION), hub_target)

    released = await _release_hub(layer, hub)
    assert released.errors == ()
    assert sorted(released.released) == [
        f"EventBridge bus {BUS_NAME} in {hub_target}",
        f"EventBridge rule {RULE_NAME} on bus {BUS_NAME} in {hub_target}",
    ]
    assert await _queues(layer, hub_target) == [QUEUE_NAME]
    (own,) = (
        await DRIFT_EVENTS.reconcile(_member_pass(layer, hub, None, HUB_REGION), hub_target)
    ).results
    assert (own.compliant, own.action) == (True, Action.NONE), own.reason


async def test_a_member_back_on_its_own_queue_removes_the_operator_s_forwarder_role(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    hub, member = scratch_account, new_scratch_account()
    member_target = Target(member, MEMBER_REGION)
    await _hub(layer, hub, {member.account_id})
    await DRIFT_EVENTS.reconcile(_member_pass(layer, member, hub), member_target)

    since = time.time()
    back = await DRIFT_EVENTS.reconcile(_member_pass(layer, member, None), member_target)
    assert list(back.released) == [f"IAM role {FORWARDER_ROLE_NAME} in {member.name}"]
    assert [w for w in writes(sandbox, member, since) if w.startswith("iam:")] == [
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
    ]
    assert FORWARDER_ROLE_NAME not in await _roles(layer, member)
    assert await _queues(layer, member_target) == [QUEUE_NAME]

    since = time.time()
    (converged,) = (
        await DRIFT_EVENTS.reconcile(_member_pass(layer, member, None), member_target)
    ).results
    assert (converged.compliant, converged.action) == (True, Action.NONE)
    iam = [c for c in sandbox.calls(since, account=member.account_id) if c["service"] == "iam"]
    assert iam == []  # a converged pass without a hub reads no role


async def _untag(layer: Aws, member: AccountAccess) -> None:
    await layer.call(
        Target(member, "us-east-1"),
        "iam",
        "untag_role",
        RoleName=FORWARDER_ROLE_NAME,
        TagKeys=list(TAGS),
    )


async def _outside_the_path(layer: Aws, member: AccountAccess) -> None:
    """The role made again under the root path, with the operator's tags."""
    iam = Target(member, "us-east-1")
    names = await layer.call(iam, "iam", "list_role_policies", RoleName=FORWARDER_ROLE_NAME)
    for name in names["PolicyNames"]:
        await layer.call(
            iam, "iam", "delete_role_policy", RoleName=FORWARDER_ROLE_NAME, PolicyName=name
        )
    await layer.call(iam, "iam", "delete_role", RoleName=FORWARDER_ROLE_NAME)
    await layer.call(
        iam,
        "iam",
        "create_role",
        RoleName=FORWARDER_ROLE_NAME,
        Path="/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Tags=[{"Key": key, "Value": value} for key, value in TAGS.items()],
    )


async def _roles(layer: Aws, account: AccountAccess) -> list[str]:
    roles = (await layer.call(Target(account, "us-east-1"), "iam", "list_roles"))["Roles"]
    return [role["RoleName"] for role in roles]


@pytest.mark.parametrize("disown", [_untag, _outside_the_path], ids=["untagged", "outside-path"])
async def test_a_forwarder_role_that_is_not_the_operator_s_stays(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    disown: Callable[[Aws, AccountAccess], Awaitable[None]],
) -> None:
    hub, member = scratch_account, new_scratch_account()
    member_target = Target(member, MEMBER_REGION)
    await _hub(layer, hub, {member.account_id})
    await DRIFT_EVENTS.reconcile(_member_pass(layer, member, hub), member_target)
    await disown(layer, member)

    since = time.time()
    back = await DRIFT_EVENTS.reconcile(_member_pass(layer, member, None), member_target)
    assert list(back.released) == []
    assert [w for w in writes(sandbox, member, since) if w.startswith("iam:")] == []
    assert FORWARDER_ROLE_NAME in await _roles(layer, member)
