"""GuardDuty through the operator: apply -> Ready=True, out-of-band drift -> repaired."""

from __future__ import annotations

import re

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.sandbox import SandboxControl

from fixtures.cluster import Kubectl, conditions_of, new_namespace, wait_for, wait_ready
from fixtures.estate import apply_estate
from fixtures.operator import OperatorProcess

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"


def _drift_count(operator: OperatorProcess, namespace: str) -> float:
    pattern = (
        r'gdpr_drift_detected_total\{check="guardduty.detector_enabled",'
        rf'monitoring="web",namespace="{namespace}"\}} (\S+)'
    )
    found = re.search(pattern, operator.metrics())
    return float(found.group(1)) if found else 0.0


async def test_enforce_converges_and_repairs_drift_at_the_next_resync(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(
        installed, namespace, scratch_account, managementPolicy="Enforce", resyncInterval="30s"
    )
    conditions = wait_ready(installed, namespace, "True")
    assert conditions["GuardDuty"]["status"] == "True"
    target = Target(scratch_account, REGION)
    (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]

    # Someone disables GuardDuty behind the operator's back.
    await layer.call(target, "guardduty", "update_detector", DetectorId=detector_id, Enable=False)
    wait_for(
        "drift counted in gdpr_drift_detected_total",
        lambda: _drift_count(operator, namespace) >= 1,
        timeout=90,
    )
    detector = await layer.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    assert detector["Status"] == "ENABLED"
    assert (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"] == [detector_id]
    repaired = [
        e
        for e in installed.events(namespace, "web")
        if e["reason"] == "Remediated" and "guardduty.detector_enabled" in e["message"]
    ]
    assert repaired, installed.events(namespace, "web")
    assert conditions_of(installed, namespace)["Ready"]["status"] == "True"


async def test_observe_reports_and_never_writes(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(
        installed, namespace, scratch_account, managementPolicy="Observe", resyncInterval="30s"
    )
    conditions = wait_ready(installed, namespace, "False")
    assert conditions["Compliant"]["reason"] == "ChecksFailing"
    assert conditions["GuardDuty"]["status"] == "False"
    assert "guardduty.detector_enabled" in conditions["GuardDuty"]["message"]
    summary = installed.get("gdprmonitoring", "web", namespace)["status"]["summary"]
    assert summary["nonCompliant"] == 3
    target = Target(scratch_account, REGION)
    assert (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"] == []
    written = [
        c
        for c in sandbox.calls()
        if c["account"] == scratch_account.account_id
        and not c["operation"].startswith(("List", "Get", "Describe", "AssumeRole"))
    ]
    assert written == []


async def test_deletion_policy_delete_removes_only_the_detector_it_created(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
) -> None:
    namespace = new_namespace(installed)
    existing = Target(scratch_account, "eu-central-1")
    await layer.call(existing, "guardduty", "create_detector", Enable=True)
    apply_estate(
        installed,
        namespace,
        scratch_account,
        regions=[REGION, "eu-central-1"],
        permissions={"adoptGuardDutyDetectors": True},
        managementPolicy="Enforce",
        deletionPolicy="Delete",
    )
    wait_ready(installed, namespace, "True")
    created = Target(scratch_account, REGION)
    assert len((await layer.call(created, "guardduty", "list_detectors"))["DetectorIds"]) == 1

    installed.run("delete", "gdprmonitoring", "web", "-n", namespace, "--wait=false")
    wait_for(
        "the object to be gone", lambda: not installed.exists("gdprmonitoring", "web", namespace)
    )
    assert (await layer.call(created, "guardduty", "list_detectors"))["DetectorIds"] == []
    # The detector that was there before stays, whatever the operator changed in it.
    assert len((await layer.call(existing, "guardduty", "list_detectors"))["DetectorIds"]) == 1
    assert any(e["reason"] == "Released" for e in installed.events(namespace, "web"))
