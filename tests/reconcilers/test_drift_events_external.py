"""Drift events under events.mode External, against the sandbox: the shipped template's
stack makes what Managed makes, the component finds it compliant and writes nothing (not
under Enforce, not on release), reports what is missing or changed with the stack to
create or update, and a change made by someone else reaches the stack's queue and is read
into the same cause as under Managed."""

from __future__ import annotations

import dataclasses
import json
import time

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import Action, DriftEventsMode
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.drift_events import QUEUE_NAME, RULE_NAME, DriftEvents
from gdpr_operator.reconcilers.drift_events._diff import queue_policy
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.calls import writes
from fixtures.contexts import context, spec
from fixtures.drift_events import create_stack

REGION = "eu-west-1"
DRIFT_EVENTS = DriftEvents()


def _pass(layer: Aws, account: AccountAccess) -> Context:
    monitoring = spec([account.name], [REGION], managementPolicy="Enforce")
    return dataclasses.replace(context(layer, monitoring), drift_events=DriftEventsMode.EXTERNAL)


async def test_the_stack_makes_what_managed_makes_and_it_delivers_a_change(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    outputs = await create_stack(layer, target)
    url = (await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    # moto's Ref gives the queue's AWS URL; the sandbox answers with its own host.
    assert outputs["QueueUrl"].endswith(f"/{scratch_account.account_id}/{QUEUE_NAME}")
    assert url.endswith(f"/{scratch_account.account_id}/{QUEUE_NAME}")
    assert outputs["QueueArn"] == (
        f"arn:aws:sqs:{REGION}:{scratch_account.account_id}:{QUEUE_NAME}"
    )
    policy = (
        await layer.call(
            target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
        )
    )["Attributes"]["Policy"]
    assert json.loads(policy) == queue_policy(target)

    since = time.time()
    (result,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (result.check, result.compliant, result.action) == (
        "events.delivery",
        True,
        Action.NONE,
    )
    assert writes(sandbox, scratch_account, since) == []

    alice = Target(other_principal(scratch_account.account_id, "alice"), REGION)
    await layer.call(alice, "logs", "create_log_group", logGroupName="/gdpr/web/x")
    await layer.call(alice, "logs", "describe_log_groups")  # a read: not delivered
    received = await engine.receive(layer, scratch_account, REGION, url, now=time.time(), wait=0)
    (cause,) = received.causes
    assert (cause.account_id, cause.region, cause.component, cause.action) == (
        scratch_account.account_id,
        REGION,
        "LogGroups",
        "CreateLogGroup",
    )
    assert cause.principal.endswith("/alice")
    assert await engine.queue_url(layer, target) == url


async def test_missing_or_changed_plumbing_fails_naming_it_and_the_stack_no_write(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    since = time.time()
    (nothing,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (nothing.compliant, nothing.action) == (False, Action.NONE)
    assert f"queue {QUEUE_NAME} does not exist" in nothing.reason
    assert f"rule {RULE_NAME} does not exist" in nothing.reason
    assert "deploy/events/drift-events.yaml" in nothing.reason
    assert "External" in nothing.not_repairable
    assert writes(sandbox, scratch_account, since) == []

    await create_stack(layer, target)
    await layer.call(target, "events", "disable_rule", Name=RULE_NAME)
    await layer.call(
        target, "events", "remove_targets", Rule=RULE_NAME, Ids=["gdpr-operator-queue"]
    )
    since = time.time()
    (changed,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (changed.compliant, changed.action) == (False, Action.NONE)
    assert f"rule {RULE_NAME} is DISABLED" in changed.reason
    assert f"rule {RULE_NAME} does not target queue {QUEUE_NAME}" in changed.reason
    assert "create or update the CloudFormation stack" in changed.reason
    assert writes(sandbox, scratch_account, since) == []


async def test_release_removes_nothing_of_the_owner_s(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    await create_stack(layer, target)
    since = time.time()
    released = await DRIFT_EVENTS.release(_pass(layer, scratch_account), target)
    assert (list(released.released), list(released.kept)) == ([], [])
    assert writes(sandbox, scratch_account, since) == []
    assert (await layer.call(target, "sqs", "list_queues"))["QueueUrls"]
    assert [
        rule["Name"] for rule in (await layer.call(target, "events", "list_rules"))["Rules"]
    ] == [RULE_NAME]
