"""The sandbox's realistic profile: AWS's throttling buckets, latency and eventual
consistency, each answered with AWS's own error codes and messages."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gdpr_operator.sandbox import SandboxControl, profile_in_force

from fixtures.cluster import wait_for
from fixtures.raw_clients import raw_client, status_of

SCALE = 0.25
"""Latencies and propagation delays at a quarter: the behaviour, at a quarter of the wait."""


def _trusting(principal: dict[str, str]) -> str:
    """A role trust policy letting `principal` assume the role."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


EC2_TRUST = _trusting({"Service": "ec2.amazonaws.com"})


@pytest.fixture
def realistic(sandbox: SandboxControl) -> Iterator[dict[str, Any]]:
    with profile_in_force("aws", time_scale=SCALE):
        yield sandbox.profile()


def test_the_profile_is_reported(realistic: dict[str, Any]) -> None:
    assert realistic["name"] == "aws"
    assert realistic["buckets"] is True
    assert realistic["propagation"]["instance_profile"] == pytest.approx(8.0 * SCALE)


def test_logs_describe_log_streams_keeps_to_five_a_second(
    realistic: dict[str, Any], sandbox_url: str
) -> None:
    logs = raw_client(sandbox_url, "logs", "eu-west-2")
    logs.create_log_group(logGroupName="/bucket/test")
    started = time.monotonic()
    answers = [
        status_of(lambda: logs.describe_log_streams(logGroupName="/bucket/test")) for _ in range(8)
    ]
    elapsed = time.monotonic() - started
    # The bucket holds 5 and refills 5 a second: the first 5 pass, and of the rest only as
    # many as the refill gave back while the calls ran (a loaded machine makes them slower).
    assert answers[:5] == [("", 200)] * 5
    refilled = int(elapsed * 5) + 1
    assert answers.count(("", 200)) <= 5 + refilled
    assert set(answers[5:]) <= {("", 200), ("ThrottlingException", 400)}
    assert ("ThrottlingException", 400) in answers[5:]
    time.sleep(0.5)
    assert status_of(lambda: logs.describe_log_streams(logGroupName="/bucket/test")) == ("", 200)


def test_ec2_unfiltered_reads_draw_on_their_own_smaller_bucket(
    realistic: dict[str, Any], sandbox_url: str
) -> None:
    ec2 = raw_client(sandbox_url, "ec2", "ap-south-1")
    with ThreadPoolExecutor(max_workers=16) as pool:
        unfiltered = list(pool.map(lambda _: status_of(ec2.describe_key_pairs), range(120)))
    # 50 tokens, 10 a second: 120 calls at once overdraw it, with EC2's own error.
    assert set(unfiltered) == {("", 200), ("RequestLimitExceeded", 503)}
    assert 50 <= unfiltered.count(("", 200)) < 100
    # The filtered form of the same API is another bucket (non-mutating: 100), still full.
    filtered = status_of(
        lambda: ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["x"]}])
    )
    assert filtered == ("", 200)


def test_calls_take_tens_of_milliseconds(realistic: dict[str, Any], sandbox_url: str) -> None:
    sts = raw_client(sandbox_url, "sts")
    took = []
    for _ in range(15):
        started = time.monotonic()
        sts.get_caller_identity()
        took.append(time.monotonic() - started)
    # Reads: median 40 ms at scale 1, so about 10 ms here, over the instant profile's cost.
    assert statistics.median(took) >= 0.4 * 40e-3 * SCALE


def test_a_new_instance_profile_is_unknown_to_ec2_for_a_while(
    realistic: dict[str, Any], sandbox_url: str
) -> None:
    iam, ec2 = raw_client(sandbox_url, "iam"), raw_client(sandbox_url, "ec2", "eu-west-3")
    iam.create_role(RoleName="propagating", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName="propagating")
    iam.add_role_to_instance_profile(InstanceProfileName="propagating", RoleName="propagating")
    instance = ec2.run_instances(ImageId="ami-760aaa0f", MinCount=1, MaxCount=1)["Instances"][0]

    def associate() -> Any:
        return ec2.associate_iam_instance_profile(
            InstanceId=instance["InstanceId"], IamInstanceProfile={"Name": "propagating"}
        )

    with pytest.raises(ClientError) as refused:
        associate()
    assert refused.value.response["Error"] == {
        "Code": "InvalidParameterValue",
        "Message": "Value (propagating) for parameter iamInstanceProfile.name is invalid. "
        "Invalid IAM Instance Profile name",
    }
    wait_for("EC2 to know the profile", lambda: status_of(associate) == ("", 200), timeout=10)


def test_a_new_role_cannot_be_assumed_at_once(realistic: dict[str, Any], sandbox_url: str) -> None:
    iam, sts = raw_client(sandbox_url, "iam"), raw_client(sandbox_url, "sts")
    trust = _trusting({"AWS": "arn:aws:iam::123456789012:root"})
    arn = iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=trust)["Role"]["Arn"]

    def assume() -> Any:
        return sts.assume_role(RoleArn=arn, RoleSessionName="fresh")

    assert status_of(assume)[0] == "AccessDenied"
    wait_for("the role to be assumable", lambda: status_of(assume) == ("", 200), timeout=10)


def test_ssm_registers_an_instance_late_and_runs_associations_pending_first(
    realistic: dict[str, Any], sandbox_url: str
) -> None:
    iam = raw_client(sandbox_url, "iam")
    ec2, ssm = (
        raw_client(sandbox_url, "ec2", "sa-east-1"),
        raw_client(sandbox_url, "ssm", "sa-east-1"),
    )
    iam.create_role(RoleName="managed", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(
        RoleName="managed", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    iam.create_instance_profile(InstanceProfileName="managed")
    iam.add_role_to_instance_profile(InstanceProfileName="managed", RoleName="managed")
    wait_for(
        "the profile to propagate",
        lambda: (
            status_of(
                lambda: ec2.run_instances(
                    ImageId="ami-760aaa0f",
                    MinCount=1,
                    MaxCount=1,
                    IamInstanceProfile={"Name": "managed"},
                )
            )
            == ("", 200)
        ),
        timeout=10,
    )

    def listed() -> list[str]:
        return [
            i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]
        ]

    assert listed() == []
    instance = wait_for("the instance to register with SSM", listed, timeout=15)[0]

    association = ssm.create_association(
        Name="AWS-RunShellScript",
        Targets=[{"Key": "InstanceIds", "Values": [instance]}],
        Parameters={"commands": ["true"]},
    )["AssociationDescription"]["AssociationId"]

    def status() -> str:
        described = ssm.describe_association(AssociationId=association)
        return str(described["AssociationDescription"]["Overview"]["Status"])

    assert status() == "Pending"  # its instance is online: the run takes time
    wait_for("the run to succeed", lambda: status() == "Success", timeout=10)
