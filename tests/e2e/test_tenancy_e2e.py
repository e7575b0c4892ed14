"""Tenancy through the operator: a namespace cannot reach an account not bound to it, neither
by pointing its GdprMonitoring at that account nor by racing the withdrawal of its binding."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime

import pytest
import yaml

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.sandbox import SandboxControl, operator_access

from fixtures.calls import writes
from fixtures.cluster import Kubectl, new_namespace, wait_for, wait_ready
from fixtures.estate import apply_estate, launch_instance
from fixtures.faults import REGIONS, estate_mid_first_pass, wait_for_condition
from fixtures.operator import OperatorProcess

pytestmark = pytest.mark.e2e

RESYNC_TICK_SECONDS = 10


def _calls_into(sandbox: SandboxControl, account: AccountAccess) -> list[str]:
    return [
        f"{c['service']}:{c['operation']}"
        for c in sandbox.calls()
        if c["account"] == account.account_id
    ]


def _other_teams_account(admin: Kubectl, name: str, account: AccountAccess) -> None:
    admin.apply(
        yaml.safe_dump(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "AwsAccount",
                "metadata": {"name": name},
                "spec": {
                    "accountId": account.account_id,
                    "allowedNamespaces": ["payments"],
                    "assumeRole": {"roleArn": account.role_arn},
                },
            }
        )
    )


def _wait_checked(admin: Kubectl, name: str) -> None:
    wait_for(
        f"AwsAccount {name} checked",
        lambda: any(
            condition["type"] == "Ready"
            for condition in admin.get("awsaccount", name).get("status", {}).get("conditions", [])
        ),
        timeout=60,
    )


def test_pointing_a_monitoring_at_another_teams_account_is_refused_without_a_call(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(installed, namespace, scratch_account, managementPolicy="Enforce")
    wait_ready(installed, namespace, "True")
    theirs = operator_access("payments", str(int(scratch_account.account_id) + 500))
    _other_teams_account(installed, f"payments-{namespace}", theirs)
    # The operator checks every AwsAccount, through its role: what is counted below must
    # come after that check, which is no GdprMonitoring's call.
    _wait_checked(installed, f"payments-{namespace}")
    sandbox.clear_calls()

    installed.run(
        "patch",
        "gdprmonitoring",
        "web",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"accounts": [f"payments-{namespace}"]}}),
    )

    conditions = wait_ready(installed, namespace, "False", generation=2)
    assert conditions["Ready"]["reason"] == "AccountNotBound"
    assert f"payments-{namespace}" in conditions["Ready"]["message"]
    assert _calls_into(sandbox, theirs) == []


IN_FLIGHT_SECONDS = 0.25
"""A write whose check passed just before the operator saw the change is on its way for at
most this long (a loopback request, recorded as it arrives, before any latency fault)."""


def _seen_at(operator: OperatorProcess, message: str) -> float | None:
    """When the operator logged `message` (its text log's local time), as epoch seconds."""
    for line in operator.log.read_text().splitlines():
        found = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*", line)
        if found and message in line:
            return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
    return None


async def test_a_binding_withdrawn_mid_pass_stops_the_operator_acting_in_the_account(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    """Measured on the old code: 116 writes still went out after the operator had seen the
    withdrawal (targets under way were never checked again). Now every write is checked: not
    one arrives at the sandbox once the operator has seen it, the in-flight moment aside."""
    # The withdrawal lands while the first pass is still writing.
    estate = await estate_mid_first_pass(layer, installed, sandbox, scratch_account, latency_ms=300)

    installed.run(
        "patch",
        "awsaccount",
        estate.namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"allowedNamespaces": ["someone-else"]}}),
    )
    seen = wait_for(
        "the operator to see the withdrawal",
        lambda: _seen_at(
            operator, f"AwsAccount {estate.namespace} seen: binds namespaces ['someone-else']"
        ),
    )
    wait_for_condition(
        installed, estate, "Synced", reason="AccountNotBound", naming=estate.namespace
    )
    late = writes(sandbox, scratch_account, since=seen + IN_FLIGHT_SECONDS)
    assert late == [], f"{len(late)} write(s) after the operator saw the withdrawal: {late}"
    sandbox.clear_faults()

    # Noticed without a spec change: at the latest one timer tick after the pass under way.
    wait_for_condition(
        installed, estate, "Ready", reason="AccountNotBound", naming=estate.namespace, timeout=120
    )
    # Drift the operator would repair if it still could.
    target = Target(scratch_account, REGIONS[0])
    for detector in (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]:
        await layer.call(target, "guardduty", "delete_detector", DetectorId=detector)
    sandbox.clear_calls()
    await asyncio.sleep(2.5 * RESYNC_TICK_SECONDS)

    assert _calls_into(sandbox, scratch_account) == [], (
        "the operator acted in an account no longer bound to the namespace"
    )


ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ADDITIONAL_POLICIES = "spec.instances.instanceProfile.additionalPolicyArns"


async def test_asking_for_a_policy_the_account_does_not_permit_is_told_and_never_attached(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    """Measured on the old code: any tenant could put AdministratorAccess on the agent's role,
    and so on its instances. Now the AwsAccount decides (none by default): Permitted=False
    naming the field, an Event, Ready=False, and only the agent's two policies attached."""
    await launch_instance(layer, Target(scratch_account, REGIONS[0]), {"gdpr-scope": "web"})
    namespace = new_namespace(installed)
    sandbox.clear_calls()
    apply_estate(
        installed,
        namespace,
        scratch_account,
        managementPolicy="Enforce",
        guardDuty={"enabled": False},
        cloudWatchAgent={"enabled": False},
        instances={
            "selector": {"tags": {"gdpr-scope": "web"}},
            "instanceProfile": {"additionalPolicyArns": [ADMINISTRATOR_ACCESS]},
        },
    )
    conditions = wait_ready(installed, namespace, "False", timeout=120)
    permitted = conditions["Permitted"]
    assert (permitted["status"], permitted["reason"]) == ("False", "NotPermitted")
    assert ADDITIONAL_POLICIES in permitted["message"]
    events = installed.events(namespace, "web")
    assert [
        e for e in events if e["reason"] == "NotPermitted" and ADDITIONAL_POLICIES in e["message"]
    ]
    assert sandbox.call_count("iam", "AttachRolePolicy", account=scratch_account.account_id) == 2
    role = (
        await layer.call(
            Target(scratch_account, "us-east-1"),
            "iam",
            "list_attached_role_policies",
            RoleName="CloudWatchAgentServerRole",
        )
    )["AttachedPolicies"]
    assert ADMINISTRATOR_ACCESS not in {p["PolicyArn"] for p in role}
