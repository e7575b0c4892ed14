"""Fault injection, call counts, the demo seed and the command line."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from gdpr_operator.aws import AccountAccess, Aws, PermanentAwsError, Target
from gdpr_operator.sandbox import DEMO_REGIONS, SandboxControl

from fixtures.raw_clients import raw_client, status_of

DEFAULT_ACCOUNT = "123456789012"
"""Where the raw clients act. The session's operator keeps reconciling the estates the
e2e tests left in this same sandbox, so only this account's calls are this test's."""


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("ec2", "describe_instances", ("RequestLimitExceeded", 503)),
        ("iam", "list_roles", ("Throttling", 400)),
        ("logs", "describe_log_groups", ("ThrottlingException", 400)),
        ("guardduty", "list_detectors", ("ThrottlingException", 400)),
        ("s3", "list_buckets", ("SlowDown", 503)),
    ],
)
def test_throttling_speaks_each_protocol(
    sandbox_url: str,
    sandbox: SandboxControl,
    service: str,
    operation: str,
    expected: tuple[str, int],
) -> None:
    sandbox.add_fault(service, "throttle", count=1)
    call = getattr(raw_client(sandbox_url, service), operation)

    assert status_of(call) == expected
    assert status_of(call) == ("", 200)  # count spent: answered normally


def test_server_errors_and_rates(sandbox_url: str, sandbox: SandboxControl) -> None:
    # A region no other test calls: the count is this client's alone, whatever else still
    # talks to the shared sandbox.
    client = raw_client(sandbox_url, "guardduty", "eu-south-2")
    sandbox.add_fault("guardduty", "server_error", operation="ListDetectors", rate=0.5)

    statuses = [status_of(client.list_detectors) for _ in range(20)]

    assert set(statuses) == {("", 200), ("ServiceUnavailable", 503)}
    assert 3 < statuses.count(("ServiceUnavailable", 503)) < 17
    assert sandbox.call_count("guardduty", "ListDetectors", region="eu-south-2") == 20


def test_faults_match_operation_account_and_region(
    sandbox_url: str, sandbox: SandboxControl
) -> None:
    sandbox.add_fault("guardduty", "access_denied", operation="ListFilter", region="eu-north-1")
    sandbox.add_fault("guardduty", "access_denied", account="111111111111")

    raw_client(sandbox_url, "guardduty", "eu-north-1").list_detectors()  # other operation
    raw_client(sandbox_url, "guardduty", "eu-west-1").list_detectors()  # other account

    assert len(sandbox.calls(account=DEFAULT_ACCOUNT)) == 2
    assert [rule["fault"] for rule in sandbox.faults()] == [
        "access_denied",
        "access_denied",
    ]


def test_invalid_fault_rules_are_refused(sandbox: SandboxControl) -> None:
    for rule in (
        {"service": "ec2", "fault": "meteor"},
        {"service": "nope", "fault": "throttle"},
        {"service": "cloudwatch", "fault": "throttle"},  # CBOR: not written
        {"service": "ec2", "fault": "throttle", "rate": 2},
        {"service": "ec2", "fault": "throttle", "colour": "red"},
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            sandbox.add_fault(**rule)
        assert refused.value.code == 400

    sandbox.add_fault("cloudwatch", "latency", latency_ms=1)  # latency suits any protocol


def test_call_counts_name_service_operation_account_and_region(
    sandbox_url: str, sandbox: SandboxControl
) -> None:
    raw_client(sandbox_url, "ec2", "eu-north-1").describe_regions()
    raw_client(sandbox_url, "ssm", "eu-north-1").describe_instance_information()
    raw_client(sandbox_url, "ssm", "eu-north-1").describe_instance_information()

    assert sandbox.calls(account=DEFAULT_ACCOUNT) == [
        {
            "service": "ec2",
            "operation": "DescribeRegions",
            "account": DEFAULT_ACCOUNT,
            "region": "eu-north-1",
            "count": 1,
        },
        {
            "service": "ssm",
            "operation": "DescribeInstanceInformation",
            "account": DEFAULT_ACCOUNT,
            "region": "eu-north-1",
            "count": 2,
        },
    ]
    sandbox.clear_calls()
    assert sandbox.calls(account=DEFAULT_ACCOUNT) == []


async def test_demo_seed_is_the_documented_estate(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    detectors: dict[tuple[str, str], str] = {}
    for name, access in demo_accounts.items():
        for region in DEMO_REGIONS:
            target = Target(access, region)
            ids = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
            detectors[(name, region)] = "missing"
            if ids:
                detector = await layer.call(target, "guardduty", "get_detector", DetectorId=ids[0])
                detectors[(name, region)] = detector["Status"]
    assert detectors == {
        ("prod", "eu-west-1"): "ENABLED",
        ("prod", "eu-central-1"): "DISABLED",
        ("prod", "eu-north-1"): "missing",
        ("shop", "eu-west-1"): "missing",
        ("shop", "eu-central-1"): "ENABLED",
        ("shop", "eu-north-1"): "DISABLED",
    }

    prod = Target(demo_accounts["prod"], "eu-west-1")
    reply = await layer.call(prod, "ec2", "describe_instances")
    instances = {
        next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): (
            {t["Key"]: t["Value"] for t in i["Tags"]}.get("gdpr-scope"),
            i.get("IamInstanceProfile", {}).get("Arn", "").rsplit("/", 1)[-1],
        )
        for r in reply["Reservations"]
        for i in r["Instances"]
    }
    assert instances == {
        "web-1": ("web", ""),
        "web-2": ("web", ""),
        "web-3": ("web", "legacy-app"),
        "batch-1": (None, ""),
        "ops-1": (None, "ops-ssm"),
    }

    groups = (
        await layer.call(prod, "logs", "describe_log_groups", logGroupNamePrefix="/gdpr/web")
    )["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == [
        "/gdpr/web/linux/nginx/access",
        "/gdpr/web/linux/syslog",
    ]
    assert all("retentionInDays" not in g for g in groups)  # never expire

    # For the audit checks: a bucket nothing logs, a rule that found it non-compliant, a
    # distribution behind a web ACL that does not log and one behind none, Trusted Advisor
    # answering prod (Business) and not shop (Basic).
    (bucket,) = [b["Name"] for b in (await layer.call(prod, "s3", "list_buckets"))["Buckets"]]
    assert bucket == "customer-data-111111111111"
    assert "LoggingEnabled" not in await layer.call(prod, "s3", "get_bucket_logging", Bucket=bucket)
    assert (await layer.call(prod, "cloudtrail", "describe_trails"))["trailList"] == []
    compliance = await layer.call(prod, "config", "describe_compliance_by_config_rule")
    assert [
        (c["ConfigRuleName"], c["Compliance"]["ComplianceType"])
        for c in compliance["ComplianceByConfigRules"]
    ] == [("s3-bucket-versioning-enabled", "NON_COMPLIANT")]
    edge = Target(demo_accounts["prod"], "us-east-1")
    distributions = (await layer.call(edge, "cloudfront", "list_distributions"))[
        "DistributionList"
    ]["Items"]
    web_acls = sorted(d["WebACLId"].split("/")[-2] if d["WebACLId"] else "" for d in distributions)
    assert web_acls == ["", "edge"]
    (protected,) = [d["WebACLId"] for d in distributions if d["WebACLId"]]
    with pytest.raises(PermanentAwsError) as no_logging:
        await layer.call(edge, "wafv2", "get_logging_configuration", ResourceArn=protected)
    assert no_logging.value.code == "WAFNonexistentItemException"
    checks = await layer.call(edge, "support", "describe_trusted_advisor_checks", language="en")
    assert checks["checks"]
    with pytest.raises(PermanentAwsError) as basic:
        await layer.call(
            Target(demo_accounts["shop"], "us-east-1"),
            "support",
            "describe_trusted_advisor_checks",
            language="en",
        )
    assert basic.value.code == "SubscriptionRequiredException"


def test_command_line_serves_and_prints_its_url() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "gdpr_operator.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            with urllib.request.urlopen(f"{url}/_gdpr/calls", timeout=10) as answer:
                assert answer.status == 200
        finally:
            process.terminate()
    assert url.startswith("http://127.0.0.1:")


async def test_messages_delivered_into_a_queue_are_received_as_sent_without_a_call(
    sandbox: SandboxControl, layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    url = (await layer.call(target, "sqs", "create_queue", QueueName="delivered"))["QueueUrl"]
    bodies = [f'{{"id": "{n}"}}' for n in range(3)]

    ids = sandbox.deliver_messages(scratch_account.account_id, "eu-west-1", "delivered", bodies)

    reply = await layer.call(target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in reply["Messages"]) == bodies
    assert sorted(m["MessageId"] for m in reply["Messages"]) == sorted(ids)
    sent = {c["operation"] for c in sandbox.calls(account=scratch_account.account_id)}
    assert sent == {"CreateQueue", "ReceiveMessage"}


def test_messages_for_a_missing_queue_are_refused(
    sandbox: SandboxControl, scratch_account: AccountAccess
) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.deliver_messages(scratch_account.account_id, "eu-west-1", "nowhere", ["{}"])

    assert refused.value.code == 400
