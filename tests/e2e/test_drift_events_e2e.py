"""Drift events through the operator: with events.mode Managed, a detector disabled by
another principal is repaired within seconds, not at the next (hourly) resync, and the Event
and the GuardDuty condition name who did it; the operator's own repair is not taken for
drift; the pass the event brings makes only the calls of the GuardDuty component in that
region, and leaves the rest of the status as the last full pass wrote it; Off makes no
EventBridge or SQS call; an account only Observe covers gets the plumbing under Managed
(in us-east-1 too, for IAM's events), and moving it to Off removes it."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from gdpr_operator.aws import AccountAccess, Aws, Target, tag_map
from gdpr_operator.reconcilers.drift_events import IAM_EVENTS_REGION, QUEUE_NAME, RULE_NAME
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.calls import writes
from fixtures.cluster import Kubectl, conditions_of, new_namespace, wait_for, wait_ready
from fixtures.estate import apply_estate
from fixtures.operator import OperatorProcess

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
OTHER_REGION = "eu-central-1"
POLLING = {("sqs", "ReceiveMessage"), ("sqs", "DeleteMessageBatch")}
"""The queue's consumer, not a pass."""
REPAIR_WITHIN_SECONDS = 30.0
"""Far below the hourly resync: only an event can have brought the pass (typically 1-3 s)."""
READING_THE_QUEUE = frozenset({"sqs:DeleteMessage", "sqs:DeleteMessageBatch"})
"""What the consumer deletes once read: messages, not plumbing."""


def received(operator: OperatorProcess, outcome: str) -> float:
    found = re.search(
        rf'gdpr_drift_events_received_total\{{component="GuardDuty",outcome="{outcome}"\}} (\S+)',
        operator.metrics(),
    )
    return float(found.group(1)) if found else 0.0


def pass_calls(sandbox: SandboxControl, account: str, since: float) -> Counter[tuple[str, str]]:
    """The calls into `account` since `since`, by (service, region), the polling left out."""
    calls: Counter[tuple[str, str]] = Counter()
    for call in sandbox.calls(since):
        if call["account"] == account and (call["service"], call["operation"]) not in POLLING:
            calls[call["service"], call["region"]] += call["count"]
    return calls


def converged(
    installed: Kubectl, namespace: str, sandbox: SandboxControl, account: str
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], Counter[tuple[str, str]]]:
    """A second full pass (a new generation), which finds everything as the first left it:
    its conditions, summary and calls."""
    since = time.time()
    patch = '{"spec": {"resyncInterval": "59m"}}'
    installed.run("patch", "gdprmonitoring", "web", "-n", namespace, "--type=merge", "-p", patch)
    conditions = wait_ready(installed, namespace, "True", generation=2)
    return (
        conditions,
        status_of(installed, namespace)["summary"],
        pass_calls(sandbox, account, since),
    )


def status_of(admin: Kubectl, namespace: str) -> dict[str, Any]:
    status: dict[str, Any] = admin.get("gdprmonitoring", "web", namespace)["status"]
    return status


def guardduty_samples(operator: OperatorProcess, name: str) -> list[Sample]:
    """The samples NAME of the GuardDuty component that the operator exposes."""
    return [
        sample
        for family in text_string_to_metric_families(operator.metrics())
        for sample in family.samples
        if sample.name == name and sample.labels.get("component") == "GuardDuty"
    ]


async def test_a_detector_disabled_by_another_principal_is_repaired_in_seconds_and_named(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(
        installed,
        namespace,
        scratch_account,
        drift_events="Managed",
        managementPolicy="Enforce",
        resyncInterval="1h",
        regions=[REGION, OTHER_REGION],
    )
    assert wait_ready(installed, namespace, "True")["DriftEvents"]["status"] == "True"
    before, summary_before, full_calls = converged(
        installed, namespace, sandbox, scratch_account.account_id
    )
    target = Target(scratch_account, REGION)
    (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    alice = Target(other_principal(scratch_account.account_id, "alice"), REGION)
    principal = f"arn:aws:sts::{scratch_account.account_id}:assumed-role/Admin/alice"
    own_before = received(operator, "own_write")
    # The first pass made the queue, and the operator polls it from then on.
    wait_for(
        "the operator polling its queue",
        lambda: sandbox.call_count("sqs", "ReceiveMessage", account=scratch_account.account_id),
        timeout=REPAIR_WITHIN_SECONDS,
    )

    changed = time.monotonic()
    await layer.call(alice, "guardduty", "update_detector", DetectorId=detector_id, Enable=False)
    targeted_pass = time.time()

    def drift_event() -> dict[str, str] | None:
        return next(
            (e for e in installed.events(namespace, "web") if e["reason"] == "DriftDetected"),
            None,
        )

    event = wait_for("the DriftDetected Event", drift_event, timeout=REPAIR_WITHIN_SECONDS)
    elapsed = time.monotonic() - changed
    assert elapsed < REPAIR_WITHIN_SECONDS
    detector = await layer.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
    assert event["type"] == "Warning"
    assert principal in event["message"]
    assert "UpdateDetector at " in event["message"]
    assert "guardduty.detector_enabled" in event["message"]
    assert "; repaired " in event["message"]
    guardduty = conditions_of(installed, namespace)["GuardDuty"]
    assert (guardduty["reason"], guardduty["status"]) == ("Remediated", "True")
    assert f"changed by {principal} (UpdateDetector at " in guardduty["message"]
    # The pass made GuardDuty's calls in that region alone; a full pass calls every
    # component's service in both regions.
    targeted_calls = pass_calls(sandbox, scratch_account.account_id, targeted_pass)
    assert set(targeted_calls) == {("guardduty", REGION)}, targeted_calls
    assert ("guardduty", OTHER_REGION) in full_calls
    assert full_calls.total() > targeted_calls.total(), (full_calls, targeted_calls)
    # What it did not run stands as the last full pass wrote it.
    after = conditions_of(installed, namespace)
    assert {k: v for k, v in after.items() if k != "GuardDuty"} == {
        k: v for k, v in before.items() if k != "GuardDuty"
    }
    assert status_of(installed, namespace)["summary"] == {**summary_before, "remediated": 1}
    assert received(operator, "acted") >= 1
    # What the dashboard's "AWS change events" row reads: the drift the event led to, and
    # the time from the change to its repair, by component (and le), no tenant's labels.
    (drifted,) = wait_for(
        "the drift found by the event exported",
        lambda: [
            sample
            for sample in guardduty_samples(operator, "gdpr_drift_events_drift_detected_total")
            if sample.value >= 1
        ],
        timeout=REPAIR_WITHIN_SECONDS,
    )
    assert drifted.labels == {"component": "GuardDuty"}
    (repaired,) = guardduty_samples(operator, "gdpr_drift_event_to_repair_seconds_count")
    assert repaired.labels == {"component": "GuardDuty"}
    assert repaired.value >= 1
    buckets = guardduty_samples(operator, "gdpr_drift_event_to_repair_seconds_bucket")
    assert {frozenset(bucket.labels) for bucket in buckets} == {frozenset({"component", "le"})}
    assert max(bucket.value for bucket in buckets) >= 1
    # The repair's own UpdateDetector comes back as an event too, and is recognised.
    wait_for(
        "the operator's own repair recognised",
        lambda: received(operator, "own_write") > own_before,
        timeout=REPAIR_WITHIN_SECONDS,
    )
    drift = [e for e in installed.events(namespace, "web") if e["reason"] == "DriftDetected"]
    assert len(drift) == 1


async def test_off_makes_no_eventbridge_or_sqs_call(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(installed, namespace, scratch_account, managementPolicy="Enforce")
    conditions = wait_ready(installed, namespace, "True")
    assert conditions["DriftEvents"]["message"] == "All 0 check result(s) compliant"
    calls = [
        call
        for call in sandbox.calls()
        if call["account"] == scratch_account.account_id and call["service"] in ("events", "sqs")
    ]
    assert calls == []


PLUMBING_WRITES = ["events:PutRule", "events:PutTargets", "sqs:CreateQueue"]
"""What the plumbing of one account-region takes."""
PLUMBED_REGIONS = (REGION, IAM_EVENTS_REGION)
"""Where an account whose GdprMonitoring covers REGION alone gets the plumbing."""
OWNED = {"gdpr-operator:managed-by": "gdpr-operator"}


async def test_managed_plumbs_an_observe_only_account_and_off_removes_it(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    """events.mode Managed is the account's decision: an account only an Observe
    GdprMonitoring covers gets the tagged rule, queue and target, in its region and in
    us-east-1 (IAM's events), and nothing else is written (GuardDuty, missing, is only
    reported). Moving the account to Off removes them from both once (Event
    DriftEventsReleased, status.eventsMode Off), and the next pass makes no EventBridge or
    SQS call."""
    namespace = new_namespace(installed)
    apply_estate(installed, namespace, scratch_account, drift_events="Managed", resyncInterval="1h")
    conditions = wait_ready(installed, namespace, "False")
    drift_events = conditions["DriftEvents"]
    assert drift_events["status"] == "True", drift_events
    assert drift_events["reason"] in ("Remediated", "Compliant")  # a later pass finds it made
    assert conditions["GuardDuty"]["reason"] == "ChecksFailing"  # Observe: reported only
    # The covered region's plumbing, and us-east-1's for IAM's events.
    targets = [Target(scratch_account, region) for region in PLUMBED_REGIONS]
    for target in targets:
        (rule,) = (await layer.call(target, "events", "list_rules", NamePrefix=RULE_NAME))["Rules"]
        tags = await layer.call(target, "events", "list_tags_for_resource", ResourceARN=rule["Arn"])
        assert OWNED.items() <= tag_map(tags["Tags"]).items()
        url = (await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
        queue_tags = (await layer.call(target, "sqs", "list_queue_tags", QueueUrl=url))["Tags"]
        assert OWNED.items() <= queue_tags.items()
        (queue_target,) = (
            await layer.call(target, "events", "list_targets_by_rule", Rule=RULE_NAME)
        )["Targets"]
        assert queue_target["Arn"].endswith(f":{QUEUE_NAME}")
    made = [call for call in writes(sandbox, scratch_account) if call not in READING_THE_QUEUE]
    assert made == sorted(PLUMBING_WRITES * len(PLUMBED_REGIONS))

    installed.run(
        "patch", "awsaccount", namespace, "--type=merge", "-p", '{"spec":{"events":{"mode":"Off"}}}'
    )
    released = wait_for(
        "the DriftEventsReleased Event",
        lambda: [
            e for e in installed.account_events(namespace) if e["reason"] == "DriftEventsReleased"
        ],
        timeout=REPAIR_WITHIN_SECONDS,
    )
    for region in PLUMBED_REGIONS:
        assert f"EventBridge rule {RULE_NAME} in {namespace}/{region}" in released[0]["message"]
        assert f"SQS queue {QUEUE_NAME} in {namespace}/{region}" in released[0]["message"]
    wait_for(
        "status.eventsMode Off",
        lambda: installed.get("awsaccount", namespace)["status"].get("eventsMode") == "Off",
        timeout=REPAIR_WITHIN_SECONDS,
    )
    for target in targets:
        assert (await layer.call(target, "events", "list_rules", NamePrefix=RULE_NAME))[
            "Rules"
        ] == []
        assert (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", []) == []

    # A pass of the Off account (brought by a spec change): no EventBridge or SQS call.
    since = time.time()
    installed.run(
        "patch",
        "gdprmonitoring",
        "web",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"resyncInterval":"2h"}}',
    )
    wait_ready(installed, namespace, "False", generation=2)
    assert [
        call
        for call in sandbox.calls(since)
        if call["account"] == scratch_account.account_id and call["service"] in ("events", "sqs")
    ] == []
