"""Log groups against the sandbox: created ahead, retention and encryption drift, ingestion
freshness read a page per group, faults, Observe's zero writes, and release keeping them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import Action, CheckResult
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.log_groups import LogGroups
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.contexts import context, spec

REGION = "eu-west-1"
LOG_GROUPS = LogGroups()
ACCESS, ERROR = "/gdpr/web/nginx/access", "/gdpr/web/nginx/error"
OWNER_TAGS = {"gdpr-operator:managed-by": "gdpr-operator", "gdpr-operator:owner": "security/web"}


def _pass(layer: Aws, account: AccountAccess, policy: str = "Enforce", **logs: Any) -> Context:
    """The context of one pass (its reads are cached for that pass only)."""
    return context(
        layer,
        spec(
            [account.name],
            [REGION],
            managementPolicy=policy,
            instances={"selector": {"tags": {"gdpr-scope": "web"}}},
            cloudWatchAgent={"presets": ["nginx"]},
            logs={"groupPrefix": "/gdpr/web", "retentionDays": 365, **logs},
        ),
    )


async def _instance(layer: Aws, account: AccountAccess, scope: str = "web") -> str:
    reply = await layer.call(
        Target(account, REGION),
        "ec2",
        "run_instances",
        ImageId="ami-760aaa0f",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "gdpr-scope", "Value": scope}]}
        ],
    )
    instance_id: str = reply["Instances"][0]["InstanceId"]
    return instance_id


async def _groups(layer: Aws, target: Target) -> dict[str, dict[str, Any]]:
    reply = await layer.call(target, "logs", "describe_log_groups", logGroupNamePrefix="/gdpr")
    return {group["logGroupName"]: group for group in reply["logGroups"]}


async def _ship(layer: Aws, target: Target, group: str, stream: str, written: float) -> None:
    await layer.call(target, "logs", "create_log_stream", logGroupName=group, logStreamName=stream)
    await layer.call(
        target,
        "logs",
        "put_log_events",
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(written * 1000), "message": "GET / 200"}],
    )


def _settings(results: Sequence[CheckResult]) -> dict[tuple[str, str], tuple[bool, str]]:
    return {
        (r.check, r.resource): (r.compliant, r.action.value)
        for r in results
        if r.check != "logs.ingestion_fresh"
    }


def _freshness(results: Sequence[CheckResult]) -> dict[str, tuple[bool, str]]:
    return {
        r.resource: (r.compliant, r.reason) for r in results if r.check == "logs.ingestion_fresh"
    }


async def test_enforce_creates_the_groups_ahead_then_costs_reads_only(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    key = (await layer.call(target, "kms", "create_key"))["KeyMetadata"]["Arn"]
    enforce = partial(_pass, layer, scratch_account, kmsKeyArn=key)
    sandbox.clear_calls()

    report = await LOG_GROUPS.reconcile(enforce(), target)
    assert _settings(report.results) == {
        (check, group): (False, "remediated")
        for check in ("logs.retention", "logs.encryption")
        for group in (ACCESS, ERROR)
    }
    assert writes(sandbox, scratch_account) == [
        "logs:CreateLogGroup",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
        "logs:PutRetentionPolicy",
    ]
    groups = await _groups(layer, target)
    assert {name: (g.get("retentionInDays"), g.get("kmsKeyId")) for name, g in groups.items()} == {
        ACCESS: (365, key),
        ERROR: (365, key),
    }
    tags = await layer.call(
        target,
        "logs",
        "list_tags_for_resource",
        resourceArn=groups[ACCESS]["arn"].removesuffix(":*"),
    )
    assert tags["tags"] == OWNER_TAGS

    sandbox.clear_calls()
    again = await LOG_GROUPS.reconcile(enforce(), target)
    assert {(r.compliant, r.action) for r in again.results} == {(True, Action.NONE)}
    assert writes(sandbox, scratch_account) == []


async def test_retention_changed_or_removed_out_of_band_is_repaired(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    await layer.call(
        target, "logs", "put_retention_policy", logGroupName=ACCESS, retentionInDays=30
    )
    await layer.call(target, "logs", "delete_retention_policy", logGroupName=ERROR)
    sandbox.clear_calls()

    observed = await LOG_GROUPS.reconcile(_pass(layer, scratch_account, "Observe"), target)
    assert {r.resource: r.reason for r in observed.results} == {
        ACCESS: "events kept 30 days, the spec says 365",
        ERROR: "events never expire; the spec keeps them 365 days "
        "(storage limitation, Art. 5(1)(e))",
    }
    assert writes(sandbox, scratch_account) == []

    report = await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    assert {r.action for r in report.results} == {Action.REMEDIATED}
    assert writes(sandbox, scratch_account) == ["logs:PutRetentionPolicy"] * 2
    assert {g.get("retentionInDays") for g in (await _groups(layer, target)).values()} == {365}


async def test_a_group_encrypted_otherwise_gets_the_spec_key(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    key, other = [
        (await layer.call(target, "kms", "create_key"))["KeyMetadata"]["Arn"] for _ in range(2)
    ]
    await layer.call(target, "logs", "create_log_group", logGroupName=ACCESS, kmsKeyId=other)
    await layer.call(target, "logs", "create_log_group", logGroupName=ERROR)
    for group in (ACCESS, ERROR):
        await layer.call(
            target, "logs", "put_retention_policy", logGroupName=group, retentionInDays=365
        )
    sandbox.clear_calls()

    report = await LOG_GROUPS.reconcile(_pass(layer, scratch_account, kmsKeyArn=key), target)
    encryption = {
        r.resource: (r.reason, r.action) for r in report.results if r.check == "logs.encryption"
    }
    assert encryption == {
        ACCESS: (f"encrypted with {other}, the spec asks for {key}", Action.REMEDIATED),
        ERROR: (f"not encrypted with a KMS key; the spec asks for {key}", Action.REMEDIATED),
    }
    assert writes(sandbox, scratch_account) == ["logs:AssociateKmsKey"] * 2
    assert {g["kmsKeyId"] for g in (await _groups(layer, target)).values()} == {key}


async def test_ingestion_is_fresh_until_the_maximum_age_and_read_a_page_per_group(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    shipping, silent = (
        await _instance(layer, scratch_account),
        await _instance(layer, scratch_account),
    )
    await _instance(layer, scratch_account, scope="batch")  # not selected
    await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    # Written two hours ago (a backlog the agent just sent): it arrived now, which counts.
    await _ship(layer, target, ACCESS, shipping, time.time() - 7200)
    await _ship(layer, target, ERROR, shipping, time.time())
    await _ship(layer, target, ERROR, "i-0terminated00000", time.time())
    sandbox.clear_calls()

    report = await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    fresh = _freshness(report.results)
    assert set(fresh) == {
        f"{group}/{instance}" for group in (ACCESS, ERROR) for instance in (shipping, silent)
    }
    assert fresh[f"{ACCESS}/{shipping}"][0]
    assert fresh[f"{ERROR}/{shipping}"][0]
    assert fresh[f"{ACCESS}/{silent}"] == (False, "no log events yet")
    assert fresh[f"{ERROR}/{silent}"] == (False, "no log events yet")
    assert sandbox.call_count("logs", "DescribeLogStreams", account=scratch_account.account_id) == 2
    assert writes(sandbox, scratch_account) == []
    arrivals = {item.log_group: item.last_event_seconds for item in report.ingestion}
    assert set(arrivals) == {ACCESS, ERROR}
    assert all(seen is not None and time.time() - seen < 60 for seen in arrivals.values())

    an_hour_later = LogGroups(clock=lambda: time.time() + 3600)
    stale = _freshness(
        (await an_hour_later.reconcile(_pass(layer, scratch_account), target)).results
    )
    compliant, reason = stale[f"{ERROR}/{shipping}"]
    assert not compliant
    assert reason.startswith("last event arrived ")
    assert reason.endswith("s ago; the maximum age is 900s")


async def test_access_denied_on_a_repair_fails_and_names_the_action(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    sandbox.add_fault(
        "logs", "access_denied", operation="PutRetentionPolicy", account=scratch_account.account_id
    )
    report = await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    assert {r.action for r in report.results} == {Action.FAILED}
    assert all("logs:PutRetentionPolicy" in r.reason for r in report.results)


async def test_release_keeps_the_log_groups(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await LOG_GROUPS.reconcile(_pass(layer, scratch_account), target)
    sandbox.clear_calls()
    assert not (await LOG_GROUPS.release(_pass(layer, scratch_account), target)).released
    assert set(await _groups(layer, target)) == {ACCESS, ERROR}
    assert writes(sandbox, scratch_account) == []
