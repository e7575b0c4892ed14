"""Drift events in us-east-1, where AWS delivers IAM's events, against the sandbox, for an
account whose GdprMonitorings cover only eu-west-1: the engine's pass makes the plumbing
there too, its rule matching IAM's calls alone (an IAM change delivered, another service's
change in us-east-1 not); widened when another GdprMonitoring covers us-east-1; release
keeping it while another GdprMonitoring names the account, then removing it; the move to
Off removing it, only where it is the operator's."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.engine import LiveMonitoring, Request, cause_of
from gdpr_operator.model import (
    GLOBAL_REGION,
    Action,
    DriftEventsMode,
    SecretRef,
)
from gdpr_operator.reconcilers import Context, Declaration
from gdpr_operator.reconcilers.drift_events import (
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    RULE_NAME,
    DriftEvents,
    event_pattern,
)
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.calls import writes
from fixtures.contexts import context, spec
from fixtures.sandbox import account_spec

REGION = "eu-west-1"
DRIFT_EVENTS = DriftEvents()


def _pass(layer: Aws, account: AccountAccess, *others: Declaration) -> Context:
    """A Managed pass of a GdprMonitoring covering REGION alone."""
    monitoring = spec([account.name], [REGION], managementPolicy="Enforce")
    return dataclasses.replace(
        context(layer, monitoring), drift_events=DriftEventsMode.MANAGED, others=others
    )


def _other(account: AccountAccess, regions: Sequence[str]) -> Declaration:
    return Declaration(
        "other/web", frozenset({account.account_id}), spec([account.name], list(regions))
    )


async def _pattern(layer: Aws, target: Target) -> object:
    (rule,) = (await layer.call(target, "events", "list_rules", NamePrefix=RULE_NAME))["Rules"]
    return json.loads(rule["EventPattern"])


async def _no_secret(ref: SecretRef) -> str:
    raise AssertionError(f"no ExternalId to read, asked for {ref}")


async def test_a_pass_over_eu_west_1_makes_iam_only_plumbing_in_us_east_1_that_delivers(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    account = account_spec(scratch_account, DriftEventsMode.MANAGED)
    monitoring = spec([account.name], [REGION], managementPolicy="Observe")
    request = Request(
        "security",
        "web",
        monitoring,
        {account.name: account}.get,
        _no_secret,
        layer,
        live_monitorings=lambda: [LiveMonitoring("security", "web", monitoring)],
    )
    outcome = await engine.reconcile(request, [DRIFT_EVENTS])
    delivery = sorted(
        (result.region, result.compliant, result.action)
        for result in outcome.results
        if result.check == "events.delivery"
    )
    assert delivery == [
        (REGION, False, Action.REMEDIATED),
        (IAM_EVENTS_REGION, False, Action.REMEDIATED),
    ]
    assert outcome.targets == ((account.name, REGION),)
    east = Target(scratch_account, IAM_EVENTS_REGION)
    assert await _pattern(layer, east) == event_pattern(iam_only=True)
    assert await _pattern(layer, Target(scratch_account, REGION)) == event_pattern()

    alice = Target(other_principal(scratch_account.account_id, "alice"), IAM_EVENTS_REGION)
    await layer.call(alice, "logs", "create_log_group", logGroupName="/gdpr/iam-only/x")
    await layer.call(
        alice,
        "iam",
        "create_role",
        RoleName="someone-else",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    await layer.call(
        alice,
        "iam",
        "attach_role_policy",
        RoleName="someone-else",
        PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
    )
    url = (await layer.call(east, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    reply = await layer.call(east, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10)
    causes = [cause_of(message["Body"], 0.0) for message in reply["Messages"]]
    assert [(c.action, c.region, c.component) for c in causes if c is not None] == [
        ("AttachRolePolicy", GLOBAL_REGION, "AgentRole")
    ]  # CreateRole is no call the operator acts on; the log group is not IAM's
    assert len(reply["Messages"]) == 1


async def test_us_east_1_covered_by_another_monitoring_gets_the_full_pattern(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    east = Target(scratch_account, IAM_EVENTS_REGION)
    (made,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), east)).results
    assert (made.compliant, made.action) == (False, Action.REMEDIATED)
    assert await _pattern(layer, east) == event_pattern(iam_only=True)

    covering_east = _other(scratch_account, [IAM_EVENTS_REGION])
    since = time.time()
    (widened,) = (
        await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account, covering_east), east)
    ).results
    assert (widened.compliant, widened.action) == (False, Action.REMEDIATED)
    assert "pattern is not the declared one" in widened.reason
    assert writes(sandbox, scratch_account, since) == ["events:PutRule"]
    assert await _pattern(layer, east) == event_pattern()


async def test_release_keeps_us_east_1_while_another_names_the_account_then_removes_it(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    east = Target(scratch_account, IAM_EVENTS_REGION)
    await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), east)

    elsewhere = _other(scratch_account, ["eu-central-1"])
    kept = await DRIFT_EVENTS.release(_pass(layer, scratch_account, elsewhere), east)
    assert (list(kept.released), len(kept.kept)) == ([], 1)

    released = await DRIFT_EVENTS.release(_pass(layer, scratch_account), east)
    assert sorted(released.released) == [
        f"EventBridge rule {RULE_NAME} in {east}",
        f"SQS queue {QUEUE_NAME} in {east}",
    ]
    assert (await layer.call(east, "events", "list_rules"))["Rules"] == []
    assert (await layer.call(east, "sqs", "list_queues")).get("QueueUrls", []) == []


async def test_leaving_managed_for_off_removes_the_us_east_1_plumbing_too(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    account = account_spec(scratch_account, DriftEventsMode.MANAGED)
    west, east = Target(scratch_account, REGION), Target(scratch_account, IAM_EVENTS_REGION)
    for target in (west, east):
        await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)
    live = [LiveMonitoring("security", "web", spec([account.name], [REGION]))]

    since = time.time()
    release = await engine.release_plumbing(
        account, live, _no_secret, layer, unchanged=lambda: True
    )
    assert release.errors == ()
    assert sorted(release.regions) == [REGION, IAM_EVENTS_REGION]
    assert sorted(release.released) == [
        f"EventBridge rule {RULE_NAME} in {west}",
        f"EventBridge rule {RULE_NAME} in {east}",
        f"SQS queue {QUEUE_NAME} in {west}",
        f"SQS queue {QUEUE_NAME} in {east}",
    ]
    assert sorted(writes(sandbox, scratch_account, since)) == [
        "events:DeleteRule",
        "events:DeleteRule",
        "events:RemoveTargets",
        "events:RemoveTargets",
        "sqs:DeleteQueue",
        "sqs:DeleteQueue",
    ]


async def test_leaving_managed_for_off_leaves_a_us_east_1_rule_not_the_operator_s(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    account = account_spec(scratch_account, DriftEventsMode.MANAGED)
    east = Target(scratch_account, IAM_EVENTS_REGION)
    await layer.call(east, "events", "put_rule", Name=RULE_NAME, EventPattern='{"source": ["x"]}')
    live = [LiveMonitoring("security", "web", spec([account.name], [REGION]))]

    since = time.time()
    release = await engine.release_plumbing(
        account, live, _no_secret, layer, unchanged=lambda: True
    )
    assert (release.errors, release.released) == ((), ())
    assert writes(sandbox, scratch_account, since) == []
    assert await _pattern(layer, east) == {"source": ["x"]}
