"""The sandbox puts on EventBridge what AWS would for the calls it serves, and moto's rules
deliver it to their targets."""

from __future__ import annotations

import json
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.sandbox import ADMIN_ROLE, SandboxControl, other_principal

from fixtures.estate import LINUX_AMI

REGION = "eu-west-1"


async def _queue_for(layer: Aws, target: Target, name: str, pattern: dict[str, Any]) -> str:
    """A queue receiving what a rule of `pattern` matches on the default bus."""
    url = (await layer.call(target, "sqs", "create_queue", QueueName=name))["QueueUrl"]
    arn = (
        await layer.call(
            target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]
        )
    )["Attributes"]["QueueArn"]
    await layer.call(target, "events", "put_rule", Name=name, EventPattern=json.dumps(pattern))
    await layer.call(
        target, "events", "put_targets", Rule=name, Targets=[{"Id": "queue", "Arn": arn}]
    )
    return str(url)


async def _received(layer: Aws, target: Target, url: str) -> list[dict[str, Any]]:
    reply = await layer.call(
        target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    return [json.loads(message["Body"]) for message in reply.get("Messages", [])]


async def test_a_write_reaches_a_matching_rule_s_queue_with_who_made_it(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    operator = Target(scratch_account, REGION)
    alice = Target(other_principal(scratch_account.account_id, "alice"), REGION)
    url = await _queue_for(
        layer,
        operator,
        "guardduty-calls",
        {"source": ["aws.guardduty"], "detail-type": ["AWS API Call via CloudTrail"]},
    )
    detector = (await layer.call(alice, "guardduty", "create_detector", Enable=True))["DetectorId"]
    await layer.call(alice, "guardduty", "list_detectors")  # a read: no event
    await layer.call(alice, "guardduty", "update_detector", DetectorId=detector, Enable=False)
    await layer.call(alice, "logs", "create_log_group", logGroupName="/not/matched")

    events = await _received(layer, operator, url)
    assert [event["detail"]["eventName"] for event in events] == [
        "CreateDetector",
        "UpdateDetector",
    ]
    update = events[1]
    assert update["source"] == "aws.guardduty"
    assert update["detail-type"] == "AWS API Call via CloudTrail"
    assert update["account"] == scratch_account.account_id
    assert update["region"] == REGION
    detail = update["detail"]
    assert detail["eventSource"] == "guardduty.amazonaws.com"
    assert detail["awsRegion"] == REGION
    assert detail["recipientAccountId"] == scratch_account.account_id
    assert detail["requestParameters"] == {"detectorId": detector, "enable": False}
    identity = detail["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == (
        f"arn:aws:sts::{scratch_account.account_id}:assumed-role/Admin/alice"
    )
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == (
        f"arn:aws:iam::{scratch_account.account_id}:role/Admin"
    )


async def test_query_protocol_parameters_and_instance_state_changes(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, REGION)
    calls = await _queue_for(
        layer,
        target,
        "retention-calls",
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventName": ["PutRetentionPolicy", "CreateTags"]},
        },
    )
    states = await _queue_for(
        layer,
        target,
        "instance-states",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    )
    await layer.call(target, "logs", "create_log_group", logGroupName="/web/app")
    await layer.call(
        target, "logs", "put_retention_policy", logGroupName="/web/app", retentionInDays=7
    )
    launched = await layer.call(
        target, "ec2", "run_instances", ImageId=LINUX_AMI, MinCount=1, MaxCount=1
    )
    instance = launched["Instances"][0]["InstanceId"]
    await layer.call(
        target, "ec2", "create_tags", Resources=[instance], Tags=[{"Key": "a", "Value": "b"}]
    )
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[instance])

    retention, tags = await _received(layer, target, calls)
    assert retention["detail"]["requestParameters"] == {
        "logGroupName": "/web/app",
        "retentionInDays": 7,
    }
    assert tags["detail"]["eventSource"] == "ec2.amazonaws.com"
    assert tags["detail"]["requestParameters"]["resourceId.1"] == instance
    # The set-up layer signs as the account's administrator role: the event names who called.
    assert tags["detail"]["userIdentity"]["arn"] == (
        f"arn:aws:sts::{scratch_account.account_id}:assumed-role/{ADMIN_ROLE}/gdpr-operator"
    )
    changes = await _received(layer, target, states)
    assert [(change["detail"]["instance-id"], change["detail"]["state"]) for change in changes] == [
        (instance, "running"),
        (instance, "stopped"),
    ]
    assert changes[0]["resources"] == [
        f"arn:aws:ec2:{REGION}:{scratch_account.account_id}:instance/{instance}"
    ]


async def test_a_seeded_finding_is_published_as_guardduty_publishes_a_new_one(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    url = await _queue_for(
        layer,
        target,
        "guardduty-findings",
        {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]},
    )
    detector = (await layer.call(target, "guardduty", "create_detector", Enable=True))["DetectorId"]
    (seeded,) = sandbox.seed_findings(
        scratch_account.account_id,
        REGION,
        [{"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 5, "instanceId": "i-0abc"}],
    )

    (event,) = await _received(layer, target, url)
    assert event["source"] == "aws.guardduty"
    assert event["detail-type"] == "GuardDuty Finding"
    assert event["account"] == scratch_account.account_id
    assert event["region"] == REGION
    detail = event["detail"]
    assert detail["id"] == seeded
    assert detail["type"] == "Recon:EC2/PortProbeUnprotectedPort"
    assert detail["severity"] == 5
    assert detail["accountId"] == scratch_account.account_id
    assert detail["region"] == REGION
    assert detail["resource"] == {
        "resourceType": "Instance",
        "instanceDetails": {"instanceId": "i-0abc"},
    }
    assert detail["service"]["detectorId"] == detector
