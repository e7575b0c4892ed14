"""The simulated CloudWatch agents ship what State Manager configured, from moto's state:
running instances whose configure run succeeded, into existing groups, uncounted."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import uuid
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import parse_monitoring
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.cloudwatch_agent import CloudWatchAgent
from gdpr_operator.reconcilers.log_groups import LogGroups
from gdpr_operator.sandbox import (
    PERIOD_VARIABLE,
    AgentSimulator,
    SandboxControl,
    configured_period,
)

REGION = "eu-west-1"
IAM_REGION = "us-east-1"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
AUTH, SYSLOG = "/gdpr/linux/auth", "/gdpr/linux/syslog"
ACCESS, ERROR = "/gdpr/nginx/access", "/gdpr/nginx/error"
LOOP_THREAD = "gdpr-sandbox-agents"
CONFIGURE_DOCUMENT = "AmazonCloudWatch-ManageAgent"


def _context(layer: Aws, account: AccountAccess, policy: str = "Enforce") -> Context:
    return Context.of(
        layer,
        parse_monitoring(
            {
                "accounts": [account.name],
                "regions": [REGION],
                "managementPolicy": policy,
                "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                "cloudWatchAgent": {"presets": ["linux-system", "nginx"]},
            }
        ),
        "security/web",
    )


async def _converge(layer: Aws, account: AccountAccess) -> None:
    """What the operator does in Enforce: log groups ahead, then the agent's parameter and
    its install and configure associations (tag-targeted: one tag, one platform)."""
    target = Target(account, REGION)
    await LogGroups().reconcile(_context(layer, account), target)
    await CloudWatchAgent().reconcile(_context(layer, account), target)


async def _instance(
    layer: Aws, account: AccountAccess, scope: str = "web", *, managed: bool = True
) -> str:
    """A Linux instance tagged gdpr-scope=`scope`; SSM manages it when `managed` (its
    profile's role carries AmazonSSMManagedInstanceCore)."""
    params: dict[str, Any] = {}
    if managed:
        iam = Target(account, IAM_REGION)
        if not (await layer.call(iam, "iam", "list_instance_profiles"))["InstanceProfiles"]:
            await layer.call(
                iam, "iam", "create_role", RoleName="core", AssumeRolePolicyDocument=TRUST
            )
            await layer.call(iam, "iam", "attach_role_policy", RoleName="core", PolicyArn=SSM_CORE)
            await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName="core")
            await layer.call(
                iam,
                "iam",
                "add_role_to_instance_profile",
                InstanceProfileName="core",
                RoleName="core",
            )
        params["IamInstanceProfile"] = {"Name": "core"}
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
        **params,
    )
    instance_id: str = reply["Instances"][0]["InstanceId"]
    return instance_id


def _ours(shipments: list[dict[str, Any]], account: AccountAccess) -> list[dict[str, Any]]:
    return [s for s in shipments if s["account"] == account.account_id and s["region"] == REGION]


def _configure(sandbox: SandboxControl, account: AccountAccess) -> dict[str, Any]:
    """The account's one configure association, as it stands."""
    (configure,) = (
        a
        for a in sandbox.associations(account.account_id, REGION)
        if a["name"] == CONFIGURE_DOCUMENT
    )
    return configure


async def _messages(layer: Aws, target: Target, group: str, stream: str) -> list[str]:
    reply = await layer.call(
        target,
        "logs",
        "get_log_events",
        logGroupName=group,
        logStreamName=stream,
        startFromHead=True,
    )
    return [event["message"] for event in reply["events"]]


async def test_a_configured_running_instance_ships_into_its_groups_streams(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = await _instance(layer, scratch_account)
    await _converge(layer, scratch_account)
    # A group of the configuration that is gone: the simulated agent neither writes to it
    # nor creates it.
    await layer.call(target, "logs", "delete_log_group", logGroupName=ERROR)

    shipped = _ours(sandbox.tick_agents(), scratch_account)

    assert {
        (s["instanceId"], s["logGroup"], s["logStream"]): tuple(s["messages"]) for s in shipped
    } == {
        (web, AUTH, web): (
            "gdpr-sandbox agent: /var/log/auth.log heartbeat",
            "gdpr-sandbox agent: /var/log/secure heartbeat",
        ),
        (web, SYSLOG, web): (
            "gdpr-sandbox agent: /var/log/messages heartbeat",
            "gdpr-sandbox agent: /var/log/syslog heartbeat",
        ),
        (web, ACCESS, web): ("gdpr-sandbox agent: /var/log/nginx/access.log heartbeat",),
    }
    streams = await layer.call(target, "logs", "describe_log_streams", logGroupName=ACCESS)
    (stream,) = streams["logStreams"]
    assert stream["logStreamName"] == web
    assert time.time() - stream["lastIngestionTime"] / 1000 < 60
    assert "gdpr-sandbox agent: /var/log/nginx/access.log heartbeat" in await _messages(
        layer, target, ACCESS, web
    )
    groups = await layer.call(target, "logs", "describe_log_groups", logGroupNamePrefix="/gdpr")
    assert ERROR not in {g["logGroupName"] for g in groups["logGroups"]}

    # What the operator then reads: fresh in every group that exists (Observe: it would
    # otherwise create the missing group again).
    report = await LogGroups().reconcile(_context(layer, scratch_account, "Observe"), target)
    fresh = {r.resource: r.compliant for r in report.results if r.check == "logs.ingestion_fresh"}
    assert {f"{group}/{web}": True for group in (AUTH, SYSLOG, ACCESS)}.items() <= fresh.items()


async def test_instances_not_configured_or_not_running_ship_nothing(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    configured = await _instance(layer, scratch_account)
    stopped_later = await _instance(layer, scratch_account)
    failed = await _instance(layer, scratch_account)
    pending = await _instance(layer, scratch_account)
    await _instance(layer, scratch_account, scope="batch")  # no association targets it
    await _instance(layer, scratch_account, managed=False)  # SSM never reaches it
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[pending])
    await _converge(layer, scratch_account)
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[stopped_later])
    # Stopped when State Manager ran: Pending there until it is online again.
    configure = _configure(sandbox, scratch_account)
    assert configure["executions"][-1]["statuses"][pending] == "Pending"
    # The sandbox's State Manager fails no run by itself: record one that failed (it is not
    # run again at that version).
    sandbox.fail_association_run(
        scratch_account.account_id, REGION, configure["associationId"], failed
    )

    assert {s["instanceId"] for s in _ours(sandbox.tick_agents(), scratch_account)} == {configured}

    # Started again: the run that configured one still stands, and State Manager runs the
    # association on the one it had never reached; both ship at this tick.
    await layer.call(target, "ec2", "start_instances", InstanceIds=[stopped_later, pending])
    assert {s["instanceId"] for s in _ours(sandbox.tick_agents(), scratch_account)} == {
        configured,
        stopped_later,
        pending,
    }
    assert _configure(sandbox, scratch_account)["executions"][-1]["statuses"] == {
        pending: "Success"
    }


async def test_a_failed_run_is_recorded_only_where_the_association_runs(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    web = await _instance(layer, scratch_account)
    batch = await _instance(layer, scratch_account, scope="batch")  # not targeted
    await _converge(layer, scratch_account)
    configure = _configure(sandbox, scratch_account)
    account = scratch_account.account_id

    for association_id, instance_id in (
        (configure["associationId"], batch),
        (configure["associationId"], "i-0123456789abcdef0"),
        (str(uuid.uuid4()), web),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            sandbox.fail_association_run(account, REGION, association_id, instance_id)
        assert refused.value.code == 400
    assert _configure(sandbox, scratch_account) == configure

    failed = sandbox.fail_association_run(account, REGION, configure["associationId"], web)
    assert (failed["version"], failed["statuses"]) == (configure["version"], {web: "Failed"})
    after = _configure(sandbox, scratch_account)
    assert after["executions"] == [*configure["executions"], failed]
    assert after["latestStatuses"] == {web: "Failed"}
    assert not _ours(sandbox.tick_agents(), scratch_account)


async def test_the_simulators_writes_are_not_counted(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = await _instance(layer, scratch_account)
    await _converge(layer, scratch_account)
    sandbox.clear_calls()

    assert _ours(sandbox.tick_agents(), scratch_account)
    # /_gdpr/calls counts the AWS API's HTTP requests only (not the control endpoints'); the
    # simulator writes to moto directly.
    assert sandbox.calls(account=scratch_account.account_id) == []
    await _messages(layer, target, ACCESS, web)
    assert sandbox.calls(account=scratch_account.account_id) == [
        {
            "service": "logs",
            "operation": "GetLogEvents",
            "count": 1,
            "account": scratch_account.account_id,
            "region": REGION,
        }
    ]


async def test_the_loop_ships_every_period_until_stopped(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    def loops() -> int:
        return sum(t.name == LOOP_THREAD for t in threading.enumerate())

    # The session's sandbox runs its own loop (unless GDPR_SANDBOX_AGENT_PERIOD turns it off).
    assert loops() == (1 if configured_period() > 0 else 0)
    target = Target(scratch_account, REGION)
    web = await _instance(layer, scratch_account)
    await _converge(layer, scratch_account)
    sandbox.tick_agents()  # the stream exists from here on
    before = len(await _messages(layer, target, ACCESS, web))

    agents = AgentSimulator(period=0.05)
    agents.start()
    try:
        deadline = time.monotonic() + 10
        while len(await _messages(layer, target, ACCESS, web)) < before + 2:  # two ticks
            assert time.monotonic() < deadline, "the loop did not ship twice in 10 s"
            await asyncio.sleep(0.05)
    finally:
        agents.stop()
    assert loops() == (1 if configured_period() > 0 else 0)


def test_the_period_comes_from_the_argument_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PERIOD_VARIABLE, raising=False)
    assert configured_period() == 10.0
    monkeypatch.setenv(PERIOD_VARIABLE, "2.5")
    assert configured_period() == 2.5
    assert configured_period(0.5) == 0.5
    before = threading.active_count()
    off = AgentSimulator(period=0)
    off.start()  # 0: no loop at all
    assert threading.active_count() == before
    off.stop()
