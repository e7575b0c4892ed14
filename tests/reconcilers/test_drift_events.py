"""Drift events against the sandbox: the rule, queue and target made and kept under Managed,
delivering a change made by someone else and a new GuardDuty finding; no call under Off;
another's rule left alone; an Observe GdprMonitoring's pass making them all the same (the
AwsAccount asked for them; the engine's guard lets this component write); release removing
only what the operator made, and only when no other GdprMonitoring, Enforce or Observe,
still covers the account-region; the account's move from Managed to Off removing the
operator's plumbing, and nothing else."""

from __future__ import annotations

import dataclasses
import json
import time

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.engine import LiveMonitoring, cause_of
from gdpr_operator.model import Action, AssumeRole, AwsAccountSpec, DriftEventsMode, SecretRef
from gdpr_operator.reconcilers import Context, Declaration
from gdpr_operator.reconcilers.drift_events import QUEUE_NAME, RULE_NAME, DriftEvents
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.contexts import context, spec

REGION = "eu-west-1"
DRIFT_EVENTS = DriftEvents()


def _pass(
    layer: Aws, account: AccountAccess, mode: DriftEventsMode = DriftEventsMode.MANAGED
) -> Context:
    monitoring = spec([account.name], [REGION], managementPolicy="Enforce")
    return dataclasses.replace(context(layer, monitoring), drift_events=mode)


def _observe_pass(layer: Aws, account: AccountAccess) -> Context:
    """An Observe GdprMonitoring's pass under Managed, its writes guarded as the engine
    guards this component's (the AwsAccount asked for them)."""
    monitoring = spec([account.name], [REGION], managementPolicy="Observe")
    return Context.of(
        layer,
        monitoring,
        "security/web",
        guard=lambda target: None,
        drift_events=DriftEventsMode.MANAGED,
    )


async def test_an_observe_monitoring_s_pass_makes_the_plumbing_under_managed(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    (made,) = (await DRIFT_EVENTS.reconcile(_observe_pass(layer, scratch_account), target)).results
    assert (made.check, made.compliant, made.action) == ("events.delivery", False, "remediated")
    assert writes(sandbox, scratch_account) == [
        "events:PutRule",
        "events:PutTargets",
        "sqs:CreateQueue",
    ]
    (kept,) = (await DRIFT_EVENTS.reconcile(_observe_pass(layer, scratch_account), target)).results
    assert (kept.compliant, kept.action) == (True, Action.NONE)


async def test_managed_makes_the_plumbing_once_and_it_delivers_a_change(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    (made,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (made.check, made.compliant, made.action) == ("events.delivery", False, "remediated")
    assert "queue gdpr-operator-drift-events does not exist" in made.reason
    assert writes(sandbox, scratch_account) == [
        "events:PutRule",
        "events:PutTargets",
        "sqs:CreateQueue",
    ]

    since = time.time()
    (kept,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (kept.compliant, kept.action) == (True, Action.NONE)
    assert writes(sandbox, scratch_account, since) == []

    url = (await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    tags = (await layer.call(target, "sqs", "list_queue_tags", QueueUrl=url))["Tags"]
    assert tags == {
        "gdpr-operator:managed-by": "gdpr-operator",
        "gdpr-operator:owner": "security/web",
    }
    policy = json.loads(
        (
            await layer.call(
                target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
            )
        )["Attributes"]["Policy"]
    )
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(f":rule/{RULE_NAME}")

    await layer.call(target, "logs", "create_log_group", logGroupName="/gdpr/web/x")
    await layer.call(target, "logs", "describe_log_groups")  # a read: not delivered
    reply = await layer.call(target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10)
    (message,) = reply["Messages"]
    detail = json.loads(message["Body"])["detail"]
    assert (detail["eventSource"], detail["eventName"]) == ("logs.amazonaws.com", "CreateLogGroup")


async def test_the_managed_rule_delivers_a_new_finding_as_a_guardduty_cause(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)
    url = (await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    await layer.call(target, "guardduty", "create_detector", Enable=True)
    sandbox.seed_findings(
        scratch_account.account_id,
        REGION,
        [{"type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 8}],
    )

    reply = await layer.call(target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10)
    findings = [
        body
        for message in reply["Messages"]
        if json.loads(body := message["Body"])["detail-type"] == "GuardDuty Finding"
    ]  # besides the CreateDetector call's event
    (finding,) = findings
    cause = cause_of(finding, 0.0)
    assert cause is not None
    assert (cause.account_id, cause.region, cause.component, cause.principal) == (
        scratch_account.account_id,
        REGION,
        "GuardDuty",
        "",
    )
    assert cause.action == "GuardDuty finding UnauthorizedAccess:EC2/SSHBruteForce (severity 8)"


async def test_off_makes_no_eventbridge_or_sqs_call(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    off = _pass(layer, scratch_account, DriftEventsMode.OFF)
    assert not (await DRIFT_EVENTS.reconcile(off, target)).results
    assert not (await DRIFT_EVENTS.release(off, target)).released
    assert not [
        call
        for call in sandbox.calls()
        if call["account"] == scratch_account.account_id and call["service"] in ("events", "sqs")
    ]


async def test_a_rule_of_the_same_name_not_the_operator_s_is_left_alone(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    await layer.call(
        target, "events", "put_rule", Name=RULE_NAME, EventPattern='{"source": ["mine"]}'
    )
    since = time.time()
    (result,) = (await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)).results
    assert (result.compliant, result.action) == (False, Action.NONE)
    assert "is not the operator's" in result.reason
    assert writes(sandbox, scratch_account, since) == []
    released = await DRIFT_EVENTS.release(_pass(layer, scratch_account), target)
    assert not released.released
    rules = (await layer.call(target, "events", "list_rules", NamePrefix=RULE_NAME))["Rules"]
    assert [rule["EventPattern"] for rule in rules] == ['{"source": ["mine"]}']


async def test_release_keeps_it_for_another_monitoring_then_removes_it(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, REGION)
    await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)
    for policy in ("Enforce", "Observe"):
        other = Declaration(
            "other/web",
            frozenset({scratch_account.account_id}),
            spec([scratch_account.name], [REGION], managementPolicy=policy),
        )
        sharing = dataclasses.replace(_pass(layer, scratch_account), others=(other,))
        kept = await DRIFT_EVENTS.release(sharing, target)
        assert (list(kept.released), len(kept.kept)) == ([], 1)

    released = await DRIFT_EVENTS.release(_pass(layer, scratch_account), target)
    assert sorted(released.released) == [
        f"EventBridge rule {RULE_NAME} in {target}",
        f"SQS queue {QUEUE_NAME} in {target}",
    ]
    assert (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", []) == []
    assert (await layer.call(target, "events", "list_rules"))["Rules"] == []


async def test_leaving_managed_for_off_removes_only_the_operator_s_plumbing(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    """engine.release_plumbing, as the AwsAccount's checker calls it once the account moves
    to Off: the operator's rule, target and queue go in the regions its bound GdprMonitorings
    cover; another's queue of the same name elsewhere, and the regions of GdprMonitorings in
    namespaces the account does not bind, are left alone."""
    assert scratch_account.role_arn is not None
    other_region = "eu-central-1"
    account = AwsAccountSpec(
        scratch_account.name,
        scratch_account.account_id,
        AssumeRole(scratch_account.role_arn, None, "gdpr-operator", 3600),
        frozenset({"security"}),
    )
    target, elsewhere = Target(scratch_account, REGION), Target(scratch_account, other_region)
    await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)
    await layer.call(elsewhere, "sqs", "create_queue", QueueName=QUEUE_NAME)  # not tagged
    live = [
        LiveMonitoring("security", "web", spec([account.name], [REGION, other_region])),
        LiveMonitoring("other", "web", spec([account.name], ["eu-north-1"])),  # not bound
    ]

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no ExternalId to read, asked for {ref}")

    since = time.time()
    release = await engine.release_plumbing(account, live, no_secret, layer, unchanged=lambda: True)
    assert release.errors == ()
    assert release.regions == (other_region, REGION, "us-east-1")  # us-east-1: IAM's events
    assert sorted(release.released) == [
        f"EventBridge rule {RULE_NAME} in {target}",
        f"SQS queue {QUEUE_NAME} in {target}",
    ]
    assert writes(sandbox, scratch_account, since) == [
        "events:DeleteRule",
        "events:RemoveTargets",
        "sqs:DeleteQueue",
    ]
    assert (await layer.call(target, "events", "list_rules"))["Rules"] == []
    assert (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", []) == []
    (kept,) = (await layer.call(elsewhere, "sqs", "list_queues"))["QueueUrls"]
    assert kept.endswith(f"/{QUEUE_NAME}")

    # The account changed meanwhile (moved back to Managed, say): nothing is written.
    await DRIFT_EVENTS.reconcile(_pass(layer, scratch_account), target)
    since = time.time()
    refused = await engine.release_plumbing(
        account, live, no_secret, layer, unchanged=lambda: False
    )
    assert [error.split(": ", 1)[0] for error in refused.errors] == [str(target)]
    assert writes(sandbox, scratch_account, since) == []
