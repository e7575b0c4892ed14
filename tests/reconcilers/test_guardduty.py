"""GuardDuty against the sandbox: every branch, drift, faults, and Observe's zero writes."""

from __future__ import annotations

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import Action
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.guardduty import GuardDuty
from gdpr_operator.sandbox import SandboxControl

from .conftest import context, reads, spec, writes

REGION = "eu-west-1"
GUARDDUTY = GuardDuty()


def _by_check(report_results: object) -> dict[str, tuple[bool, str]]:
    return {r.check: (r.compliant, r.action.value) for r in report_results}  # type: ignore[attr-defined]


async def _detectors(layer: Aws, target: Target) -> list[dict[str, object]]:
    ids = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    return [await layer.call(target, "guardduty", "get_detector", DetectorId=i) for i in ids]


async def test_enforce_creates_one_tagged_detector_then_costs_reads_only(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert _by_check(report.results) == {
        "guardduty.detector_enabled": (False, "remediated"),
        "guardduty.publishing_frequency": (False, "remediated"),
        "guardduty.features": (False, "remediated")}
    assert writes(sandbox, scratch_account) == ["guardduty:CreateDetector"]
    (detector,) = await _detectors(layer, target)
    assert detector["Status"] == "ENABLED"
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert {f["Name"]: f["Status"] for f in detector["Features"]} == {  # type: ignore[attr-defined]
        name: "ENABLED" for name in enforce_context.spec.guard_duty.features}
    assert detector["Tags"] == {"gdpr-operator:managed-by": "gdpr-operator",
                                "gdpr-operator:owner": "security/web"}

    sandbox.clear_calls()
    again = await GUARDDUTY.reconcile(enforce_context, target)
    assert all(r.compliant and r.action is Action.NONE for r in again.results)
    assert writes(sandbox, scratch_account) == []
    # Converged: ListDetectors + GetDetector, plus GetFindingsStatistics for the metrics.
    assert reads(sandbox, scratch_account, "guardduty") == 3
    assert len(await _detectors(layer, target)) == 1


async def test_observe_reports_what_it_would_do_and_writes_nothing(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
) -> None:
    observe = context(layer, spec([scratch_account.name], [REGION]))
    assert not observe.spec.enforce
    report = await GUARDDUTY.reconcile(observe, Target(scratch_account, REGION))
    assert {r.action for r in report.results} == {Action.WOULD_REMEDIATE}
    assert [r.resource for r in report.results] == ["", "", ""]
    assert writes(sandbox, scratch_account) == []
    assert await _detectors(layer, Target(scratch_account, REGION)) == []


async def test_out_of_band_drift_is_repaired_in_place_leaving_unmentioned_features(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    created = await layer.call(
        target, "guardduty", "create_detector", Enable=False,
        FindingPublishingFrequency="SIX_HOURS",
        Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"},
                  {"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"}])
    sandbox.clear_calls()

    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert {r.resource for r in report.results} == {created["DetectorId"]}
    assert {r.action for r in report.results} == {Action.REMEDIATED}
    assert writes(sandbox, scratch_account) == ["guardduty:UpdateDetector"]
    (detector,) = await _detectors(layer, target)
    assert detector["Status"] == "ENABLED"
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    features = {f["Name"]: f["Status"] for f in detector["Features"]}  # type: ignore[attr-defined]
    assert features["LAMBDA_NETWORK_LOGS"] == "ENABLED"
    assert all(features[name] == "ENABLED" for name in enforce_context.spec.guard_duty.features)
    # Not created by the operator: never tagged as its own.
    assert "gdpr-operator:owner" not in detector.get("Tags", {})  # type: ignore[operator]


async def test_findings_are_counted_by_severity_band(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    await GUARDDUTY.reconcile(enforce_context, target)
    sandbox.seed_findings(scratch_account.account_id, REGION, [
        {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2.0},
        {"type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 8.0},
        {"type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8.0},
        {"type": "Backdoor:EC2/C&CActivity.B", "severity": 9.5},
    ])
    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert {f.severity: f.count for f in report.findings} == {
        "low": 1, "medium": 0, "high": 2, "critical": 1}


async def test_access_denied_on_create_fails_the_repair_and_names_the_action(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    sandbox.add_fault("guardduty", "access_denied", operation="CreateDetector",
                      account=scratch_account.account_id)
    report = await GUARDDUTY.reconcile(enforce_context, Target(scratch_account, REGION))
    assert {r.action for r in report.results} == {Action.FAILED}
    assert all("guardduty:CreateDetector" in r.reason for r in report.results)
    assert report.findings == []


async def test_release_deletes_only_what_this_owner_created(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    mine, theirs = Target(scratch_account, REGION), Target(scratch_account, "eu-central-1")
    await layer.call(theirs, "guardduty", "create_detector", Enable=True)
    await GUARDDUTY.reconcile(enforce_context, mine)
    other_owner = Context(enforce_context.aws, enforce_context.spec, "other/monitoring")

    assert not (await GUARDDUTY.release(other_owner, mine)).released
    assert not (await GUARDDUTY.release(enforce_context, theirs)).released
    released = await GUARDDUTY.release(enforce_context, mine)
    assert len(released.released) == 1
    assert await _detectors(layer, mine) == []
    assert len(await _detectors(layer, theirs)) == 1
