"""Credentials: AssumeRole with and without ExternalId, refresh, and standard configuration."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import time_machine

from gdpr_operator.aws import (
    AccessDeniedError,
    AccountAccess,
    Aws,
    AwsError,
    AwsSettings,
    Target,
)
from gdpr_operator.sandbox import (
    SandboxControl,
    operator_role_arn,
    profile_in_force,
    sandbox_layer,
)

from fixtures.sandbox import new_scratch_account

SANDBOX_DEFAULT_ACCOUNT = "123456789012"


@pytest.fixture
async def layer(sandbox_url: str) -> AsyncIterator[Aws]:
    """The layer as the operator uses it: each account through its operator role, not the
    sandbox's administrator role that the shared `layer` sets estates up with."""
    async with sandbox_layer(sandbox_url) as aws:
        yield aws


async def caller(layer: Aws, access: AccountAccess) -> dict[str, str]:
    reply = await layer.call(Target(access, "eu-west-1"), "sts", "get_caller_identity")
    return {"account": reply["Account"], "arn": reply["Arn"]}


async def test_assume_role_with_external_id(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    prod = demo_accounts["prod"]
    assert prod.external_id is not None

    identity = await caller(layer, prod)

    assert identity == {
        "account": "111111111111",
        "arn": "arn:aws:sts::111111111111:assumed-role/gdpr-operator/gdpr-operator",
    }


async def test_assume_role_without_external_id(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    shop = demo_accounts["shop"]
    assert shop.external_id is None

    assert (await caller(layer, shop))["account"] == "222222222222"


@pytest.mark.parametrize("external_id", [None, "not-the-one"])
async def test_assume_role_with_wrong_external_id_is_denied(
    layer: Aws, external_id: str | None
) -> None:
    prod = AccountAccess(
        name="prod",
        account_id="111111111111",
        role_arn=operator_role_arn("111111111111"),
        external_id=external_id,
    )

    with pytest.raises(AccessDeniedError) as denied:
        await caller(layer, prod)

    assert denied.value.action == "sts:AssumeRole"
    assert denied.value.service == "sts"
    assert denied.value.reason == "AccessDenied"
    assert operator_role_arn("111111111111") in denied.value.message


async def test_role_of_unknown_account_is_denied(layer: Aws) -> None:
    ghost = AccountAccess(
        name="ghost", account_id="999999999999", role_arn=operator_role_arn("999999999999")
    )

    with pytest.raises(AccessDeniedError):
        await caller(layer, ghost)


async def test_own_identity_without_role(layer: Aws) -> None:
    own = AccountAccess(name="own", account_id=SANDBOX_DEFAULT_ACCOUNT)

    assert (await caller(layer, own))["account"] == SANDBOX_DEFAULT_ACCOUNT


async def test_own_identity_acts_only_in_its_own_account(
    sandbox: SandboxControl, sandbox_url: str
) -> None:
    # An AwsAccount without assumeRole whose accountId is not where the operator's identity
    # is: without the check, every call would act in the operator's own account instead.
    elsewhere = Target(AccountAccess(name="prod", account_id="111111111111"), "eu-west-1")
    own = Target(AccountAccess(name="own", account_id=SANDBOX_DEFAULT_ACCOUNT), "eu-west-1")
    async with sandbox_layer(sandbox_url) as layer:
        for _ in range(2):
            with pytest.raises(AwsError) as refused:
                await layer.call(elsewhere, "guardduty", "create_detector", Enable=True)
            assert refused.value.reason == "AccountMismatch"
            assert "is in account 123456789012, not 111111111111" in refused.value.message
        await layer.call(own, "guardduty", "list_detectors")
        await layer.call(own, "guardduty", "list_detectors")

    assert sandbox.call_count("guardduty", "CreateDetector") == 0
    assert sandbox.call_count("guardduty", "ListDetectors") == 2
    assert sandbox.call_count("sts", "GetCallerIdentity") == 1  # asked once per layer


async def test_assumed_credentials_are_reused_then_refreshed_before_expiry(
    sandbox: SandboxControl,
    sandbox_url: str,
    demo_accounts: dict[str, AccountAccess],
) -> None:
    shop = demo_accounts["shop"]  # 3600 s sessions
    target = Target(shop, "eu-west-1")
    async with sandbox_layer(sandbox_url) as layer:
        for _ in range(3):
            await layer.call(target, "ec2", "describe_instances")
        assert sandbox.call_count("sts", "AssumeRole") == 1

        # 40 minutes on, the credentials are still far from expiry: kept.
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=40)):
            await layer.call(target, "ec2", "describe_instances")
        assert sandbox.call_count("sts", "AssumeRole") == 1

        # 55 minutes on: inside botocore's mandatory refresh window (10 min before expiry).
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=55)):
            await layer.call(target, "ec2", "describe_instances")
            await layer.call(target, "ec2", "describe_instances")

        assert sandbox.call_count("sts", "AssumeRole") == 2
        assert sandbox.call_count("ec2", "DescribeInstances", account="222222222222") == 6


def test_session_duration_is_validated() -> None:
    with pytest.raises(ValueError, match="duration_seconds"):
        AccountAccess(name="x", account_id="1", role_arn="arn", duration_seconds=60)


async def test_aws_endpoint_url_reaches_every_service_including_sts(
    sandbox_env: str, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    async with Aws(AwsSettings()) as layer:  # no endpoint given: the environment's
        identity = await caller(layer, demo_accounts["shop"])
        regions = await layer.call(
            Target(demo_accounts["shop"], "eu-north-1"), "guardduty", "list_detectors"
        )

    assert identity["account"] == "222222222222"
    assert len(regions["DetectorIds"]) == 1
    assert sandbox.call_count("sts", "AssumeRole") == 1
    assert sandbox.call_count("guardduty", "ListDetectors", region="eu-north-1") == 1


async def test_credentials_that_expire_early_are_assumed_anew_and_the_call_succeeds(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, "eu-west-1")
    await layer.call(target, "ec2", "describe_instances")
    assert sandbox.expire_sessions(scratch_account.account_id) == 1
    sandbox.clear_calls()

    reply = await layer.call(target, "ec2", "describe_instances")

    assert reply["Reservations"] == []
    # One refused attempt, one new session, the call again: nothing else.
    assert sandbox.call_count("sts", "AssumeRole") == 1
    assert sandbox.call_count("ec2", "DescribeInstances") == 2


async def test_many_calls_that_meet_the_same_expiry_assume_the_role_once(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    regions = ["eu-west-1", "eu-west-2", "eu-central-1", "us-east-1"]
    for region in regions:
        await layer.call(Target(scratch_account, region), "logs", "describe_log_groups")
    sandbox.expire_sessions(scratch_account.account_id)
    sandbox.clear_calls()

    await asyncio.gather(
        *(
            layer.call(Target(scratch_account, region), "logs", "describe_log_groups")
            for region in regions
        )
    )

    assert 1 <= sandbox.call_count("sts", "AssumeRole") <= 2  # threads racing to forget


async def test_a_pagination_under_way_outlives_an_expiry(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, "eu-west-1")
    names = [f"/expiry/{n}" for n in range(3)]
    for name in names:
        await layer.call(target, "logs", "create_log_group", logGroupName=name)
    sandbox.clear_calls()

    seen = []
    async for page in layer.paginate(
        target, "logs", "describe_log_groups", PaginationConfig={"PageSize": 1}
    ):
        seen += [group["logGroupName"] for group in page["logGroups"]]
        if len(seen) == 1:
            sandbox.expire_sessions(scratch_account.account_id)

    # Each page is a call of its own: the refused one is made again with the role assumed
    # anew, and the pagination goes on from where it was.
    assert seen == names
    assert sandbox.call_count("sts", "AssumeRole") == 1
    assert sandbox.call_count("logs", "DescribeLogGroups") == len(names) + 1


async def test_roles_assumed_for_many_accounts_at_once_keep_to_the_sts_bucket(
    sandbox: SandboxControl, sandbox_url: str
) -> None:
    # Far more accounts than STS's burst (20) first called at once, under AWS's throttling:
    # the layer keeps AssumeRole to STS's rate, so each role is assumed about once. A few may
    # still be throttled, as with AWS: a request meets AWS's bucket after its latency, not
    # when it left ours. Unpaced, the same calls made 107 AssumeRoles.
    accounts = [new_scratch_account() for _ in range(50)]
    regions = ["eu-west-1", "us-east-1"]
    with profile_in_force("aws", time_scale=0.25):
        sandbox.clear_calls()
        async with sandbox_layer(sandbox_url) as layer:
            await asyncio.gather(
                *(
                    layer.call(Target(account, region), "logs", "describe_log_groups")
                    for account in accounts
                    for region in regions
                )
            )

    assert len(accounts) <= sandbox.call_count("sts", "AssumeRole") <= len(accounts) + 3
    assert sandbox.call_count("logs", "DescribeLogGroups") == len(accounts) * len(regions)
