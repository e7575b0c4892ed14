"""Drift events through the operator with events.mode External: with the shipped template's
stack in the account-region (and in us-east-1 with IamOnly, for IAM's events), a detector
disabled by another principal is repaired within seconds and named, as under Managed (its
own repair's event dropped), and the operator writes nothing to EventBridge or SQS; without
the stack, DriftEvents fails naming what is missing and the template, Compliant says not
repairable by the operator, and still nothing is written."""

from __future__ import annotations

import re
import time

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.handlers._drift_events import NO_QUEUE_RETRY_SECONDS
from gdpr_operator.reconcilers.drift_events import IAM_EVENTS_REGION
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.calls import writes
from fixtures.cluster import Kubectl, conditions_of, new_namespace, wait_for, wait_ready
from fixtures.drift_events import create_stack
from fixtures.estate import apply_estate
from fixtures.operator import OperatorProcess

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
REPAIR_WITHIN_SECONDS = 30.0
"""Far below the hourly resync: only an event can have brought the pass."""


def received(operator: OperatorProcess, outcome: str) -> float:
    found = re.search(
        rf'gdpr_drift_events_received_total\{{component="GuardDuty",outcome="{outcome}"\}} (\S+)',
        operator.metrics(),
    )
    return float(found.group(1)) if found else 0.0


READING_THE_QUEUE = frozenset({"sqs:DeleteMessage", "sqs:DeleteMessageBatch"})
"""What the consumer deletes once read: messages, not plumbing."""


def _plumbing_writes(sandbox: SandboxControl, account: AccountAccess, since: float) -> list[str]:
    """The EventBridge and SQS writes the sandbox saw for `account` since `since`, but for
    the deletes of messages read."""
    return [
        call
        for call in writes(sandbox, account, since)
        if call.startswith(("events:", "sqs:")) and call not in READING_THE_QUEUE
    ]


async def test_the_owner_s_stack_brings_a_change_repaired_in_seconds_and_named(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await create_stack(layer, target)
    # IAM's events are on the us-east-1 bus alone, which no GdprMonitoring covers here.
    await create_stack(layer, Target(scratch_account, IAM_EVENTS_REGION), {"IamOnly": "true"})
    since = time.time()
    namespace = new_namespace(installed)
    apply_estate(
        installed,
        namespace,
        scratch_account,
        drift_events="External",
        managementPolicy="Enforce",
        resyncInterval="1h",
    )
    drift_events = wait_ready(installed, namespace, "True")["DriftEvents"]
    assert drift_events["status"] == "True", drift_events
    (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    alice = Target(other_principal(scratch_account.account_id, "alice"), REGION)
    principal = f"arn:aws:sts::{scratch_account.account_id}:assumed-role/Admin/alice"
    own_before = received(operator, "own_write")
    wait_for(
        "the operator polling the stack's queue",
        lambda: sandbox.call_count("sqs", "ReceiveMessage", account=scratch_account.account_id),
        timeout=REPAIR_WITHIN_SECONDS,
    )

    changed = time.monotonic()
    await layer.call(alice, "guardduty", "update_detector", DetectorId=detector_id, Enable=False)

    def drift_event() -> dict[str, str] | None:
        return next(
            (e for e in installed.events(namespace, "web") if e["reason"] == "DriftDetected"),
            None,
        )

    event = wait_for("the DriftDetected Event", drift_event, timeout=REPAIR_WITHIN_SECONDS)
    assert time.monotonic() - changed < REPAIR_WITHIN_SECONDS
    detector = await layer.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
    assert principal in event["message"]
    assert "UpdateDetector at " in event["message"]
    guardduty = conditions_of(installed, namespace)["GuardDuty"]
    assert (guardduty["reason"], guardduty["status"]) == ("Remediated", "True")
    assert f"changed by {principal} (UpdateDetector at " in guardduty["message"]
    assert received(operator, "acted") >= 1
    # The repair's own UpdateDetector comes back through the stack's queue, and is dropped.
    wait_for(
        "the operator's own repair recognised",
        lambda: received(operator, "own_write") > own_before,
        timeout=REPAIR_WITHIN_SECONDS,
    )
    drift = [e for e in installed.events(namespace, "web") if e["reason"] == "DriftDetected"]
    assert len(drift) == 1
    assert _plumbing_writes(sandbox, scratch_account, since) == []


async def test_without_the_stack_it_fails_naming_the_template_and_writes_nothing(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    since = time.time()
    namespace = new_namespace(installed)
    apply_estate(
        installed, namespace, scratch_account, drift_events="External", managementPolicy="Enforce"
    )
    drift_events = wait_for(
        "DriftEvents reported",
        lambda: conditions_of(installed, namespace).get("DriftEvents"),
        timeout=60,
    )
    assert (drift_events["status"], drift_events["reason"]) == ("False", "ChecksFailing")
    assert "queue gdpr-operator-drift-events does not exist" in drift_events["message"]
    assert "deploy/events/drift-events.yaml" in drift_events["message"]
    compliant = conditions_of(installed, namespace)["Compliant"]
    assert (compliant["status"], compliant["reason"]) == ("False", "NotRepairable"), compliant
    assert "events.mode External: the account's owner makes it" in compliant["message"]
    assert _plumbing_writes(sandbox, scratch_account, since) == []


async def test_a_stack_created_later_is_found_and_its_events_acted_on(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    """The queue not there at the first pass: the consumer looks again (every
    NO_QUEUE_RETRY_SECONDS), finds the stack's, and its events wake the GdprMonitoring."""
    namespace = new_namespace(installed)
    apply_estate(
        installed,
        namespace,
        scratch_account,
        drift_events="External",
        managementPolicy="Enforce",
        resyncInterval="1h",
    )
    wait_for(
        "DriftEvents reported",
        lambda: conditions_of(installed, namespace).get("DriftEvents"),
        timeout=60,
    )
    target = Target(scratch_account, REGION)
    await create_stack(layer, target)
    wait_for(
        "the operator polling the stack's queue",
        lambda: sandbox.call_count("sqs", "ReceiveMessage", account=scratch_account.account_id),
        timeout=NO_QUEUE_RETRY_SECONDS + REPAIR_WITHIN_SECONDS,
    )
    (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    alice = Target(other_principal(scratch_account.account_id, "alice"), REGION)
    await layer.call(alice, "guardduty", "update_detector", DetectorId=detector_id, Enable=False)
    wait_for(
        "the DriftDetected Event",
        lambda: any(e["reason"] == "DriftDetected" for e in installed.events(namespace, "web")),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    detector = await layer.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
