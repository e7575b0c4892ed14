"""Throttling storms, failing and slow regions, limits, and the event loop kept free."""

from __future__ import annotations

import asyncio
import time

import pytest

from gdpr_operator.aws import (
    AccountAccess,
    Aws,
    Target,
    TemporaryAwsError,
    gather_outcomes,
)
from gdpr_operator.sandbox import DEMO_REGIONS, SandboxControl, sandbox_layer


async def list_instances(layer: Aws, target: Target) -> list[str]:
    ids = []
    async for page in layer.paginate(target, "ec2", "describe_instances"):
        ids += [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
    return ids


async def test_throttling_storm_is_bounded_then_converges(
    sandbox_url: str, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    target = Target(demo_accounts["shop"], "eu-central-1")
    async with sandbox_layer(sandbox_url, throttle_patience=2.0) as layer:
        await layer.call(target, "guardduty", "list_detectors")  # credentials and client
        sandbox.add_fault("guardduty", "throttle", operation="ListDetectors")
        sandbox.clear_calls()
        started = time.monotonic()
        calls = [layer.call(target, "guardduty", "list_detectors") for _ in range(5)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        elapsed = time.monotonic() - started

        assert all(isinstance(o, TemporaryAwsError) and o.reason == "Throttled" for o in outcomes)
        # Each call gave up once its patience ran out (past it by an attempt at most): the
        # storm costs bounded time, and a bounded number of calls (backoff doubles from
        # 250 ms: a handful each). Margins for a loaded machine.
        assert 1.0 <= elapsed < 2.0 + 3.0
        assert 5 * 2 <= sandbox.call_count("guardduty", "ListDetectors") <= 5 * 12

        sandbox.clear_faults()
        reply = await layer.call(target, "guardduty", "list_detectors")
        assert len(reply["DetectorIds"]) == 1


async def test_half_of_the_calls_throttled_all_succeed(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    targets = [Target(demo_accounts["prod"], region) for region in DEMO_REGIONS]
    for service in ("guardduty", "ec2", "logs"):
        sandbox.add_fault(service, "throttle", rate=0.5)

    calls = [
        layer.call(target, service, operation)
        for target in targets
        for service, operation in (
            ("guardduty", "list_detectors"),
            ("ec2", "describe_instances"),
            ("logs", "describe_log_groups"),
        )
        for _ in range(8)
    ]
    await asyncio.gather(*calls)

    # 72 calls: four attempts each would have left about 4 of them failing (1 in 16).
    refused = sum(sandbox.call_count(s) for s in ("guardduty", "ec2", "logs")) - len(calls)
    assert refused >= len(calls) // 4  # throttled, then retried


async def test_passing_throttling_is_absorbed_by_retries(
    sandbox_url: str, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    target = Target(demo_accounts["shop"], "eu-central-1")
    sandbox.add_fault("ec2", "throttle", operation="DescribeInstances", count=2)
    async with sandbox_layer(sandbox_url, max_attempts=4) as layer:
        started = time.monotonic()
        ids = await list_instances(layer, target)

    assert len(ids) == 2
    assert sandbox.call_count("ec2", "DescribeInstances") == 3
    assert time.monotonic() - started < 4  # jittered backoff: at most 1 s, then 2 s


async def test_one_region_failing_does_not_fail_the_others(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    prod = demo_accounts["prod"]
    sandbox.add_fault("ec2", "server_error", region="eu-central-1")
    targets = [Target(prod, region) for region in DEMO_REGIONS]

    outcomes = await gather_outcomes(
        targets, lambda t: list_instances(layer, t), timeout_per_target=30
    )

    by_region = {o.target.region: o for o in outcomes}
    failed = by_region["eu-central-1"].error
    assert isinstance(failed, TemporaryAwsError)
    assert failed.reason == "AwsServiceError"
    assert len(by_region["eu-west-1"].value or []) == 5
    assert by_region["eu-north-1"].ok
    assert by_region["eu-north-1"].value == []


async def test_a_slow_region_times_out_alone(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    shop = demo_accounts["shop"]
    sandbox.add_fault("guardduty", "latency", region="eu-north-1", latency_ms=6000)
    targets = [Target(shop, region) for region in DEMO_REGIONS]

    started = time.monotonic()
    outcomes = await gather_outcomes(
        targets,
        lambda t: layer.call(t, "guardduty", "list_detectors"),
        timeout_per_target=1.5,
    )

    # Nobody waited for the slow region (margins wide enough for a loaded machine).
    assert time.monotonic() - started < 4
    assert [o.error.reason if o.error else "ok" for o in outcomes] == ["ok", "ok", "Timeout"]


async def test_targets_take_turns_and_their_clocks_start_on_their_turn(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    sandbox.add_fault("guardduty", "latency", latency_ms=700)
    targets = [Target(demo_accounts["shop"], region) for region in DEMO_REGIONS]

    started = time.monotonic()
    outcomes = await gather_outcomes(
        targets,
        lambda t: layer.call(t, "guardduty", "list_detectors"),
        timeout_per_target=1.5,
        targets_in_flight=1,
    )

    # 2.1 s in all, more than one timeout, yet each target within its own 1.5 s (the
    # margin keeps a loaded machine from failing it).
    assert all(o.ok for o in outcomes)
    assert time.monotonic() - started >= 2.1


async def test_calls_do_not_block_the_event_loop(
    layer: Aws, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    sandbox.add_fault("guardduty", "latency", latency_ms=500)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    await layer.call(Target(demo_accounts["shop"], "eu-central-1"), "guardduty", "list_detectors")
    ticking.cancel()

    assert ticks >= 7


async def test_a_call_given_up_while_its_role_is_assumed_is_never_sent(
    sandbox: SandboxControl, sandbox_url: str, scratch_account: AccountAccess
) -> None:
    """A pass cancelled (its object moved to another replica, or this one cut off from the
    API server) must not call AWS afterwards, even where a worker thread was still assuming
    the account's role for the call."""
    sandbox.add_fault("sts", "latency", latency_ms=1500)
    async with sandbox_layer(sandbox_url) as aws:
        call = asyncio.create_task(
            aws.call(Target(scratch_account, "eu-west-1"), "guardduty", "list_detectors")
        )
        await asyncio.sleep(0.5)  # the worker thread waits for AssumeRole's answer
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.sleep(2.5)  # the role is assumed by now, in that thread
    assert sandbox.call_count("sts", "AssumeRole") == 1
    assert sandbox.call_count("guardduty", account=scratch_account.account_id) == 0


async def test_concurrency_is_limited_per_account_and_service(
    sandbox_url: str, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    sandbox.add_fault("guardduty", "latency", latency_ms=500)
    shop, prod = demo_accounts["shop"], demo_accounts["prod"]
    async with sandbox_layer(
        sandbox_url, max_concurrency=8, per_account_service_concurrency=2
    ) as layer:
        await layer.call(Target(shop, "eu-west-1"), "guardduty", "list_detectors")
        await layer.call(Target(prod, "eu-west-1"), "guardduty", "list_detectors")

        started = time.monotonic()
        await asyncio.gather(
            *(
                layer.call(Target(shop, region), "guardduty", "list_detectors")
                for region in DEMO_REGIONS * 2
            )
        )
        same_account = time.monotonic() - started  # 6 calls, 2 at a time: 3 rounds

        started = time.monotonic()
        await asyncio.gather(
            *(
                layer.call(Target(access, region), "guardduty", "list_detectors")
                for access in (shop, prod)
                for region in DEMO_REGIONS[:2]
            )
        )
        two_accounts = time.monotonic() - started  # 4 calls, 2 per account: 1 round

    assert same_account >= 1.5
    assert two_accounts < 1.5  # one round of 0.5 s, with room for a loaded machine


async def test_global_limit_bounds_calls_in_flight(
    sandbox_url: str, sandbox: SandboxControl, demo_accounts: dict[str, AccountAccess]
) -> None:
    sandbox.add_fault("guardduty", "latency", latency_ms=200)
    targets = [
        Target(access, region) for access in demo_accounts.values() for region in DEMO_REGIONS
    ]
    async with sandbox_layer(sandbox_url, max_concurrency=2) as layer:
        await asyncio.gather(*(layer.call(t, "sts", "get_caller_identity") for t in targets))
        started = time.monotonic()
        await asyncio.gather(*(layer.call(t, "guardduty", "list_detectors") for t in targets))

    assert time.monotonic() - started >= 0.6  # 6 calls, 2 at a time


async def test_client_cache_is_bounded(
    sandbox_url: str, demo_accounts: dict[str, AccountAccess]
) -> None:
    async with sandbox_layer(sandbox_url, max_clients=2) as layer:
        for region in DEMO_REGIONS:
            for service, operation in (
                ("guardduty", "list_detectors"),
                ("ec2", "describe_instances"),
            ):
                await layer.call(Target(demo_accounts["shop"], region), service, operation)
        assert layer.cached_clients == 2


async def test_all_regions_means_those_enabled(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    regions = await layer.regions(demo_accounts["prod"], ["*"])

    assert set(DEMO_REGIONS) <= set(regions)
    assert "me-south-1" not in regions  # opt-in, not opted in
    assert await layer.regions(demo_accounts["prod"], ["eu-west-1"]) == ["eu-west-1"]
