"""`remediate` and `audit` on a busy account: half of the GuardDuty, EC2 and Logs calls
refused with a throttling error, and still every check evaluated, with the verdicts an
unthrottled pass reaches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess, Target
from gdpr_operator.cli import main
from gdpr_operator.sandbox import SandboxControl, setup_layer

from fixtures.cluster import wait_for
from fixtures.estate import launch_instance

THROTTLED_SERVICES = ("guardduty", "ec2", "logs")


def _estate(tmp_path: Path, account: AccountAccess) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "AwsAccount",
                    "metadata": {"name": "busy"},
                    "spec": {
                        "accountId": account.account_id,
                        "allowedNamespaces": ["security"],
                        "assumeRole": {"roleArn": account.role_arn},
                    },
                },
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": "web", "namespace": "security"},
                    "spec": {
                        "accounts": ["busy"],
                        "regions": ["eu-west-1", "eu-central-1"],
                        "auditChecks": [],  # a fresh account never passes them
                        "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                        "cloudWatchAgent": {"presets": ["linux-system", "nginx"]},
                        "logs": {"groupPrefix": "/gdpr/busy", "retentionDays": 30},
                    },
                },
            ]
        )
    )
    return path


def _pass(capsys: pytest.CaptureFixture[str], command: str, estate: Path) -> dict[str, Any]:
    code = main([command, "-f", str(estate), "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    report["exit"] = code
    return report


def _verdicts(report: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    return sorted(
        (c["check"], c["account"], c["region"], c["resource"] or "", c["compliant"])
        for c in report["checks"]
    )


async def _launch_web_instances(url: str, account: AccountAccess) -> None:
    async with setup_layer(url) as layer:
        for region in ("eu-west-1", "eu-central-1"):
            for _ in range(2):
                await launch_instance(layer, Target(account, region), {"gdpr-scope": "web"})


def test_half_of_the_calls_throttled_remediate_then_audit_complete(
    sandbox_env: str,
    sandbox: SandboxControl,
    scratch_account: AccountAccess,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_launch_web_instances(sandbox_env, scratch_account))
    estate = _estate(tmp_path, scratch_account)
    account = scratch_account.account_id

    def throttle_half() -> None:
        for service in THROTTLED_SERVICES:
            sandbox.add_fault(service, "throttle", account=scratch_account.account_id, rate=0.5)

    throttle_half()
    remediated = _pass(capsys, "remediate", estate)
    assert remediated["errors"] == [], remediated["errors"]

    # Unthrottled, until the agents ship (their logs make the verdicts move until then).
    sandbox.clear_faults()
    unthrottled = wait_for(
        "an unthrottled audit to find the estate compliant",
        lambda: (report := _pass(capsys, "audit", estate))["exit"] == 0 and report,
        interval=2,
    )
    sandbox.clear_calls()
    unthrottled = _pass(capsys, "audit", estate)
    unthrottled_calls = _calls(sandbox, account)
    sandbox.clear_calls()
    throttle_half()
    audited = _pass(capsys, "audit", estate)

    assert audited["errors"] == [], audited["errors"]
    assert audited["exit"] == 0
    differ = set(_verdicts(audited)) ^ set(_verdicts(unthrottled))
    assert not differ, sorted(differ)
    # About half of the audit's calls were refused and made again, and none gave up. Each
    # attempt is refused with probability 0.5, so the refusals before N calls succeed are
    # negative binomial with mean N: for N = 20, more than 1.2 N calls fails about once in
    # 1,300 runs (1.5 N failed about once in 20).
    assert _calls(sandbox, account) > 1.2 * unthrottled_calls


def _calls(sandbox: SandboxControl, account: str) -> int:
    """The estate's account's calls alone: the session's operator keeps reconciling other
    tests' estates in the same sandbox."""
    return sum(sandbox.call_count(service, account=account) for service in THROTTLED_SERVICES)
