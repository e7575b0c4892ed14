"""GuardDuty against the sandbox: every branch, drift, faults, and Observe's zero writes."""

from __future__ import annotations

import pytest

from gdpr_operator.aws import AccountAccess, Aws, PermanentAwsError, Target
from gdpr_operator.model import Action, TenantPermissions
from gdpr_operator.reconcilers import Context, Declaration
from gdpr_operator.reconcilers.guardduty import GuardDuty
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import reads, writes
from fixtures.contexts import context, spec
from fixtures.raw_clients import raw_client

REGION = "eu-west-1"
GUARDDUTY = GuardDuty()
ADOPTING = TenantPermissions(adopt_guardduty_detectors=True)
"""An AwsAccount that lets the operator adopt the detectors it did not create."""


def _by_check(report_results: object) -> dict[str, tuple[bool, str]]:
    return {r.check: (r.compliant, r.action.value) for r in report_results}  # type: ignore[attr-defined]


def _designate_administrator(sandbox_url: str, account: AccountAccess) -> None:
    """The organisation's management account (the sandbox's default account, in which any
    credentials act) makes `account` the region's GuardDuty delegated administrator."""
    raw_client(sandbox_url, "guardduty", REGION).enable_organization_admin_account(
        AdminAccountId=account.account_id
    )


async def _detectors(layer: Aws, target: Target) -> list[dict[str, object]]:
    ids = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    return [await layer.call(target, "guardduty", "get_detector", DetectorId=i) for i in ids]


async def test_enforce_creates_one_tagged_detector_then_costs_reads_only(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert _by_check(report.results) == {
        "guardduty.detector_enabled": (False, "remediated"),
        "guardduty.publishing_frequency": (False, "remediated"),
        "guardduty.features": (False, "remediated"),
    }
    assert writes(sandbox, scratch_account) == ["guardduty:CreateDetector"]
    (detector,) = await _detectors(layer, target)
    assert detector["Status"] == "ENABLED"
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert {f["Name"]: f["Status"] for f in detector["Features"]} == {  # type: ignore[attr-defined]
        name: "ENABLED" for name in enforce_context.spec.guard_duty.features
    }
    assert detector["Tags"] == {
        "gdpr-operator:managed-by": "gdpr-operator",
        "gdpr-operator:owner": "security/web",
    }

    sandbox.clear_calls()
    again = await GUARDDUTY.reconcile(enforce_context, target)
    assert all(r.compliant and r.action is Action.NONE for r in again.results)
    assert writes(sandbox, scratch_account) == []
    # Converged: ListDetectors + GetDetector, plus GetFindingsStatistics for the metrics.
    assert reads(sandbox, scratch_account, "guardduty") == 3
    assert len(await _detectors(layer, target)) == 1


async def test_observe_reports_what_it_would_do_and_writes_nothing(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    observe = context(layer, spec([scratch_account.name], [REGION]))
    assert not observe.spec.enforce
    report = await GUARDDUTY.reconcile(observe, Target(scratch_account, REGION))
    assert {r.action for r in report.results} == {Action.WOULD_REMEDIATE}
    assert [r.resource for r in report.results] == ["", "", ""]
    assert writes(sandbox, scratch_account) == []
    assert await _detectors(layer, Target(scratch_account, REGION)) == []


async def _foreign_detector(layer: Aws, target: Target) -> dict[str, str]:
    """A detector the operator did not create: disabled, publishing every six hours."""
    created: dict[str, str] = await layer.call(
        target,
        "guardduty",
        "create_detector",
        Enable=False,
        FindingPublishingFrequency="SIX_HOURS",
        Features=[
            {"Name": "S3_DATA_EVENTS", "Status": "DISABLED"},
            {"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"},
        ],
    )
    return created


async def test_a_detector_it_did_not_create_is_left_alone_unless_the_account_adopts_it(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    created = await _foreign_detector(layer, target)
    sandbox.clear_calls()

    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert writes(sandbox, scratch_account) == []
    failing = [r for r in report.results if not r.compliant]
    assert failing
    assert {r.action for r in failing} == {Action.NONE}
    assert all("adoptGuardDutyDetectors" in r.reason for r in failing)
    assert all("gdpr-operator:managed-by=gdpr-operator" in r.reason for r in failing)
    (detector,) = await _detectors(layer, target)
    assert (detector["Status"], created["DetectorId"]) == ("DISABLED", report.results[0].resource)


async def test_out_of_band_drift_is_repaired_in_place_leaving_unmentioned_features(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    """Where the AwsAccount adopts detectors."""
    target = Target(scratch_account, REGION)
    created = await _foreign_detector(layer, target)
    sandbox.clear_calls()

    adopting = context(layer, enforce_context.spec, permissions=ADOPTING)
    report = await GUARDDUTY.reconcile(adopting, target)
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
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    target = Target(scratch_account, REGION)
    await GUARDDUTY.reconcile(enforce_context, target)
    sandbox.seed_findings(
        scratch_account.account_id,
        REGION,
        [
            {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2.0},
            {"type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 8.0},
            {"type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8.0},
            {"type": "Backdoor:EC2/C&CActivity.B", "severity": 9.5},
        ],
    )
    report = await GUARDDUTY.reconcile(enforce_context, target)
    assert {f.severity: f.count for f in report.findings} == {
        "low": 1,
        "medium": 0,
        "high": 2,
        "critical": 1,
    }


async def test_access_denied_on_create_fails_the_repair_and_names_the_action(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    sandbox.add_fault(
        "guardduty", "access_denied", operation="CreateDetector", account=scratch_account.account_id
    )
    report = await GUARDDUTY.reconcile(enforce_context, Target(scratch_account, REGION))
    assert {r.action for r in report.results} == {Action.FAILED}
    assert all("guardduty:CreateDetector" in r.reason for r in report.results)
    assert report.findings == []


async def test_release_deletes_only_what_this_owner_created(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    mine, theirs = Target(scratch_account, REGION), Target(scratch_account, "eu-central-1")
    await layer.call(theirs, "guardduty", "create_detector", Enable=True)
    await GUARDDUTY.reconcile(enforce_context, mine)
    other_owner = Context.of(layer, enforce_context.spec, "other/monitoring")

    assert not (await GUARDDUTY.release(other_owner, mine)).released
    assert not (await GUARDDUTY.release(enforce_context, theirs)).released
    released = await GUARDDUTY.release(enforce_context, mine)
    assert len(released.released) == 1
    assert await _detectors(layer, mine) == []
    assert len(await _detectors(layer, theirs)) == 1


async def test_release_keeps_a_detector_another_live_monitoring_still_declares(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    """Two namespaces' GdprMonitorings on one account and region share its one detector:
    deleting the one that created it with Delete keeps it (its findings are evidence)."""
    target = Target(scratch_account, REGION)
    await GUARDDUTY.reconcile(enforce_context, target)
    other = Declaration("team-b/web", frozenset({scratch_account.account_id}), enforce_context.spec)
    releasing = Context.of(layer, enforce_context.spec, enforce_context.owner, others=(other,))
    sandbox.clear_calls()

    report = await GUARDDUTY.release(releasing, target)
    assert not report.released
    assert "team-b/web" in report.kept[0]
    assert writes(sandbox, scratch_account) == []
    assert len(await _detectors(layer, target)) == 1


# Organisations: member auto-enable where the account is the delegated administrator.

ORG_CHECK = "guardduty.organization_auto_enable"


def _org_context(layer: Aws, account: AccountAccess, members: str, policy: str) -> Context:
    """Some detectors here are made out of band: the account adopts them."""
    return context(
        layer,
        spec(
            [account.name],
            [REGION],
            managementPolicy=policy,
            guardDuty={"autoEnableOrganizationMembers": members},
        ),
        permissions=ADOPTING,
    )


async def _members(layer: Aws, target: Target) -> object:
    (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    reply = await layer.call(
        target, "guardduty", "describe_organization_configuration", DetectorId=detector_id
    )
    return reply["AutoEnableOrganizationMembers"], reply["AutoEnable"]


async def test_administrator_gets_members_auto_enabled_then_costs_one_more_read(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox_url: str,
    sandbox: SandboxControl,
) -> None:
    _designate_administrator(sandbox_url, scratch_account)
    target = Target(scratch_account, REGION)
    enforce = _org_context(layer, scratch_account, "ALL", "Enforce")
    report = await GUARDDUTY.reconcile(enforce, target)
    assert _by_check(report.results)[ORG_CHECK] == (False, "remediated")
    assert writes(sandbox, scratch_account) == [
        "guardduty:CreateDetector",
        "guardduty:UpdateOrganizationConfiguration",
    ]
    assert await _members(layer, target) == ("ALL", True)

    sandbox.clear_calls()
    again = await GUARDDUTY.reconcile(enforce, target)
    assert all(r.compliant and r.action is Action.NONE for r in again.results)
    assert len(again.results) == 4
    assert writes(sandbox, scratch_account) == []
    # ListDetectors, GetDetector, GetFindingsStatistics, DescribeOrganizationConfiguration.
    assert reads(sandbox, scratch_account, "guardduty") == 4


async def test_member_account_is_reported_without_a_write_and_other_checks_hold(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    report = await GUARDDUTY.reconcile(
        _org_context(layer, scratch_account, "NEW", "Enforce"), target
    )
    by_check = {r.check: r for r in report.results}
    assert not by_check[ORG_CHECK].compliant
    assert by_check[ORG_CHECK].action is Action.NONE
    assert by_check[ORG_CHECK].reason == (
        "not the GuardDuty delegated administrator: member auto-enable is set from the "
        "administrator account"
    )
    assert by_check[ORG_CHECK].resource == by_check["guardduty.detector_enabled"].resource
    assert {by_check[c].action for c in by_check if c != ORG_CHECK} == {Action.REMEDIATED}
    assert writes(sandbox, scratch_account) == ["guardduty:CreateDetector"]


async def test_observe_would_set_members_and_writes_nothing(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox_url: str,
    sandbox: SandboxControl,
) -> None:
    _designate_administrator(sandbox_url, scratch_account)
    target = Target(scratch_account, REGION)
    observe = _org_context(layer, scratch_account, "ALL", "Observe")
    # No detector yet: nothing to read the setting from, and nothing written.
    report = await GUARDDUTY.reconcile(observe, target)
    assert _by_check(report.results)[ORG_CHECK] == (False, "would_remediate")
    # A detector (made out of band), members left at NONE.
    await layer.call(
        target,
        "guardduty",
        "create_detector",
        Enable=True,
        FindingPublishingFrequency="FIFTEEN_MINUTES",
    )
    sandbox.clear_calls()
    report = await GUARDDUTY.reconcile(observe, target)
    org = next(r for r in report.results if r.check == ORG_CHECK)
    assert (org.compliant, org.action) == (False, Action.WOULD_REMEDIATE)
    assert org.reason == "organisation members auto-enabled: NONE, the spec asks for ALL"
    assert writes(sandbox, scratch_account) == []
    assert await _members(layer, target) == ("NONE", False)


async def test_no_organization_read_unless_the_spec_asks(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    enforce_context: Context,
) -> None:
    assert enforce_context.spec.guard_duty.auto_enable_organization_members == "NONE"
    report = await GUARDDUTY.reconcile(enforce_context, Target(scratch_account, REGION))
    assert ORG_CHECK not in _by_check(report.results)
    assert not any("Organization" in call["operation"] for call in sandbox.calls())


async def test_sandbox_organization_api_follows_aws(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox_url: str,
) -> None:
    target = Target(scratch_account, REGION)
    detector_id = (await layer.call(target, "guardduty", "create_detector", Enable=True))[
        "DetectorId"
    ]
    with pytest.raises(PermanentAwsError, match="not the delegated administrator"):
        await layer.call(
            target, "guardduty", "describe_organization_configuration", DetectorId=detector_id
        )
    _designate_administrator(sandbox_url, scratch_account)
    with pytest.raises(PermanentAwsError, match="not owned by the current account"):
        await layer.call(
            target, "guardduty", "describe_organization_configuration", DetectorId="0" * 32
        )
    reply = await layer.call(
        target, "guardduty", "describe_organization_configuration", DetectorId=detector_id
    )
    assert (
        reply["AutoEnableOrganizationMembers"],
        reply["AutoEnable"],
        reply["MemberAccountLimitReached"],
    ) == ("NONE", False, False)
    await layer.call(
        target,
        "guardduty",
        "update_organization_configuration",
        DetectorId=detector_id,
        AutoEnable=True,
    )  # deprecated: NEW
    assert await _members(layer, target) == ("NEW", True)
    with pytest.raises(PermanentAwsError, match="BadRequestException"):
        await layer.call(
            target,
            "guardduty",
            "update_organization_configuration",
            DetectorId=detector_id,
            AutoEnableOrganizationMembers="SOME",
        )
    # Another region: not designated there.
    other = Target(scratch_account, "eu-central-1")
    other_id = (await layer.call(other, "guardduty", "create_detector", Enable=True))["DetectorId"]
    with pytest.raises(PermanentAwsError, match="not the delegated administrator"):
        await layer.call(
            other,
            "guardduty",
            "update_organization_configuration",
            DetectorId=other_id,
            AutoEnableOrganizationMembers="ALL",
        )
