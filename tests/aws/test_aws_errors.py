"""Errors are classified once: AccessDenied names the action, bad requests are permanent."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from prometheus_client import REGISTRY

from gdpr_operator.aws import (
    AccessDeniedError,
    AccountAccess,
    Aws,
    NotFoundError,
    PermanentAwsError,
    Target,
    TemporaryAwsError,
    iam_action,
)
from gdpr_operator.sandbox import SandboxControl

PROD_ROLE_SESSION = "arn:aws:sts::111111111111:assumed-role/gdpr-operator/gdpr-operator"


class Denial(NamedTuple):
    """An API refusal: which call, and the error code AWS answers it with."""

    service: str
    operation: str
    api_operation: str
    code: str

    @property
    def action(self) -> str:
        return f"{self.service}:{self.api_operation}"


@pytest.mark.parametrize(
    "denial",
    [
        Denial("guardduty", "list_detectors", "ListDetectors", "AccessDeniedException"),
        Denial("ec2", "describe_instances", "DescribeInstances", "UnauthorizedOperation"),
        Denial("logs", "describe_log_groups", "DescribeLogGroups", "AccessDeniedException"),
        Denial("iam", "list_roles", "ListRoles", "AccessDenied"),
    ],
)
async def test_access_denied_names_the_action_and_principal(
    operator_layer: Aws,
    sandbox: SandboxControl,
    demo_accounts: dict[str, AccountAccess],
    denial: Denial,
) -> None:
    sandbox.add_fault(
        denial.service, "access_denied", operation=denial.api_operation, account="111111111111"
    )

    with pytest.raises(AccessDeniedError) as denied:
        await operator_layer.call(
            Target(demo_accounts["prod"], "eu-west-1"), denial.service, denial.operation
        )

    error = denied.value
    assert (error.reason, error.code, error.service, error.action) == (
        "AccessDenied",
        denial.code,
        denial.service,
        denial.action,
    )
    assert error.principal == PROD_ROLE_SESSION
    assert denial.action in error.message
    # Not retried: one attempt only.
    assert sandbox.call_count(denial.service, denial.api_operation) == 1


async def test_access_denied_leaves_other_accounts_alone(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    sandbox.add_fault("guardduty", "access_denied", account="111111111111")

    reply = await layer.call(
        Target(demo_accounts["shop"], "eu-central-1"), "guardduty", "list_detectors"
    )

    assert len(reply["DetectorIds"]) == 1


async def test_missing_resource_is_not_found(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    with pytest.raises(NotFoundError) as missing:
        await layer.call(
            Target(demo_accounts["shop"], "eu-west-1"),
            "ec2",
            "describe_instances",
            InstanceIds=["i-0123456789abcdef0"],
        )

    assert missing.value.code == "InvalidInstanceID.NotFound"
    assert missing.value.reason == "NotFound"


async def test_invalid_request_is_permanent(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    with pytest.raises(PermanentAwsError) as rejected:
        await layer.call(
            Target(demo_accounts["shop"], "eu-west-1"),
            "logs",
            "put_retention_policy",
            logGroupName="/nope",
            retentionInDays=7,
        )

    assert rejected.value.code == "ResourceNotFoundException"

    with pytest.raises(PermanentAwsError) as invalid:
        await layer.call(
            Target(demo_accounts["shop"], "eu-west-1"), "guardduty", "get_detector", DetectorId=""
        )
    assert invalid.value.code == "ParamValidation"


def test_iam_actions_follow_the_service_models() -> None:
    assert iam_action("guardduty", "list_detectors") == "guardduty:ListDetectors"
    assert iam_action("cloudwatch", "get_metric_data") == "cloudwatch:GetMetricData"
    assert iam_action("logs", "DescribeLogGroups") == "logs:DescribeLogGroups"
    assert iam_action("ssm", "describe_instance_information") == "ssm:DescribeInstanceInformation"
    assert iam_action("s3", "list_buckets") == "s3:ListAllMyBuckets"


async def test_every_attempt_is_counted_by_outcome(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    def count(outcome: str) -> float:
        value = REGISTRY.get_sample_value(
            "gdpr_aws_api_calls_total",
            {"service": "guardduty", "operation": "ListDetectors", "outcome": outcome},
        )
        return value or 0.0

    before = {outcome: count(outcome) for outcome in ("success", "throttled", "error")}
    sandbox.add_fault("guardduty", "throttle", operation="ListDetectors", count=2)
    await layer.call(Target(demo_accounts["shop"], "eu-central-1"), "guardduty", "list_detectors")
    sandbox.add_fault("guardduty", "access_denied", operation="ListDetectors", count=1)
    with pytest.raises(AccessDeniedError):
        await layer.call(
            Target(demo_accounts["shop"], "eu-central-1"), "guardduty", "list_detectors"
        )

    deltas = {outcome: count(outcome) - before[outcome] for outcome in before}
    assert deltas == {"success": 1, "throttled": 2, "error": 1}
    assert sandbox.call_count("guardduty", "ListDetectors") == 4


@pytest.mark.parametrize(
    "expiry",
    [
        Denial("guardduty", "list_detectors", "ListDetectors", "ExpiredTokenException"),
        Denial("ec2", "describe_instances", "DescribeInstances", "ExpiredToken"),
        Denial("logs", "describe_log_groups", "DescribeLogGroups", "ExpiredTokenException"),
        Denial("iam", "list_roles", "ListRoles", "ExpiredToken"),
    ],
)
async def test_credentials_that_stay_expired_are_temporary_after_one_fresh_attempt(
    layer: Aws,
    sandbox: SandboxControl,
    scratch_account: AccountAccess,
    expiry: Denial,
) -> None:
    sandbox.add_fault(
        expiry.service,
        "expired_token",
        operation=expiry.api_operation,
        account=scratch_account.account_id,
    )

    with pytest.raises(TemporaryAwsError) as expired:
        await layer.call(Target(scratch_account, "eu-west-1"), expiry.service, expiry.operation)

    assert (expired.value.reason, expired.value.code) == ("CredentialsExpired", expiry.code)
    assert "assumed anew" in expired.value.message
    # Once with the old credentials, once with credentials assumed anew: no more.
    assert sandbox.call_count(expiry.service, expiry.api_operation) == 2
    assert sandbox.call_count("sts", "AssumeRole") == 2
