"""GuardDuty's pure diff: what is wrong, and the one call that repairs it."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.model import GuardDutySpec, TenantPermissions
from gdpr_operator.reconcilers._delta import Call
from gdpr_operator.reconcilers.guardduty._diff import (
    NOT_ADMINISTRATOR,
    Detector,
    auto_enable_from_api,
    detector_delta,
    detector_problem,
    features_problem,
    frequency_problem,
    organization_applies,
    organization_delta,
    organization_problem,
    repair,
)
from gdpr_operator.reconcilers.guardduty._findings import counts_by_band, severity_band

SPEC = GuardDutySpec(True, "FIFTEEN_MINUTES", ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS"), "NONE")
TAGS = {"gdpr-operator:managed-by": "gdpr-operator"}
NOTHING = TenantPermissions()


def _detector(
    enabled: bool = True, frequency: str = "FIFTEEN_MINUTES", **features: str
) -> Detector:
    features = features or {"S3_DATA_EVENTS": "ENABLED", "RDS_LOGIN_EVENTS": "ENABLED"}
    return Detector("d1", enabled, frequency, features, {})


@pytest.mark.parametrize(
    ("detector", "problems"),
    [
        (
            None,
            (
                "no GuardDuty detector in this region",
                "no detector to publish findings",
                "features not enabled: S3_DATA_EVENTS, RDS_LOGIN_EVENTS",
            ),
        ),
        (_detector(), (None, None, None)),
        (_detector(enabled=False), ("detector d1 is DISABLED", None, None)),
        (
            _detector(frequency="SIX_HOURS"),
            (None, "findings published every SIX_HOURS, the spec asks for FIFTEEN_MINUTES", None),
        ),
        (
            _detector(S3_DATA_EVENTS="ENABLED", RDS_LOGIN_EVENTS="DISABLED"),
            (None, None, "features not enabled: RDS_LOGIN_EVENTS"),
        ),
        (
            _detector(S3_DATA_EVENTS="ENABLED"),
            (None, None, "features not enabled: RDS_LOGIN_EVENTS"),
        ),
        # Features the spec does not mention are nobody's business.
        (
            _detector(
                S3_DATA_EVENTS="ENABLED", RDS_LOGIN_EVENTS="ENABLED", EKS_AUDIT_LOGS="DISABLED"
            ),
            (None, None, None),
        ),
    ],
)
def test_problems(detector: Detector | None, problems: tuple[str | None, ...]) -> None:
    assert (
        detector_problem(detector),
        frequency_problem(SPEC, detector),
        features_problem(SPEC, detector),
    ) == problems


def test_no_detector_is_created_once_with_everything_and_tagged() -> None:
    assert repair(SPEC, None, TAGS) == Call(
        "guardduty",
        "create_detector",
        {
            "Enable": True,
            "FindingPublishingFrequency": "FIFTEEN_MINUTES",
            "Features": [
                {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                {"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"},
            ],
            "Tags": TAGS,
        },
    )


def test_a_converged_detector_needs_no_call() -> None:
    assert not detector_delta(SPEC, _detector(), TAGS, NOTHING).wrong


def test_a_detector_of_another_team_is_left_alone_unless_adoption_is_allowed() -> None:
    foreign = _detector(enabled=False)
    assert detector_delta(SPEC, foreign, TAGS, NOTHING).left_alone.startswith("not modified")
    adopt = TenantPermissions(adopt_guardduty_detectors=True)
    assert detector_delta(SPEC, foreign, TAGS, adopt).left_alone == ""


@pytest.mark.parametrize(
    ("detector", "params"),
    [
        (
            _detector(enabled=False),
            {"DetectorId": "d1", "Enable": True, "FindingPublishingFrequency": "FIFTEEN_MINUTES"},
        ),
        (
            _detector(frequency="ONE_HOUR"),
            {"DetectorId": "d1", "Enable": True, "FindingPublishingFrequency": "FIFTEEN_MINUTES"},
        ),
        (
            _detector(
                S3_DATA_EVENTS="DISABLED",
                RDS_LOGIN_EVENTS="ENABLED",
                EKS_AUDIT_LOGS="DISABLED",
                LAMBDA_NETWORK_LOGS="ENABLED",
            ),
            {
                "DetectorId": "d1",
                "Enable": True,
                "FindingPublishingFrequency": "FIFTEEN_MINUTES",
                "Features": [
                    {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                    {"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"},
                    {"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"},
                    {"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"},
                ],
            },
        ),
    ],
)
def test_drift_is_repaired_by_one_update(detector: Detector, params: dict[str, Any]) -> None:
    assert detector_delta(SPEC, detector, TAGS, NOTHING).wrong
    assert repair(SPEC, detector, TAGS) == Call("guardduty", "update_detector", params)


def test_detector_from_get_detector_reply() -> None:
    detector = Detector.from_api(
        "d9",
        {
            "Status": "DISABLED",
            "FindingPublishingFrequency": "SIX_HOURS",
            "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED", "UpdatedAt": "x"}],
            "Tags": {"a": "b"},
        },
    )
    assert detector == Detector("d9", False, "SIX_HOURS", {"S3_DATA_EVENTS": "ENABLED"}, {"a": "b"})


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1.0, "low"),
        (3.9, "low"),
        (4.0, "medium"),
        (6.9, "medium"),
        (7.0, "high"),
        (8.9, "high"),
        (9.0, "critical"),
        (10.0, "critical"),
    ],
)
def test_severity_bands(score: float, band: str) -> None:
    assert severity_band(score) == band


def test_counts_by_band_reports_every_band() -> None:
    assert counts_by_band({"8.0": 2, "7.5": 1, "2.0": 4}) == {
        "low": 4,
        "medium": 0,
        "high": 3,
        "critical": 0,
    }


# Organisations: member auto-enable, where the account is the delegated administrator.


def _org_spec(members: str) -> GuardDutySpec:
    return GuardDutySpec(True, "FIFTEEN_MINUTES", (), members)


@pytest.mark.parametrize(
    ("members", "applies"), [("NONE", False), ("", False), ("NEW", True), ("ALL", True)]
)
def test_organization_applies_only_when_the_spec_asks(members: str, applies: bool) -> None:
    assert organization_applies(_org_spec(members)) is applies


@pytest.mark.parametrize(
    ("reply", "members"),
    [
        ({"AutoEnableOrganizationMembers": "ALL", "AutoEnable": True}, "ALL"),
        ({"AutoEnableOrganizationMembers": "NONE", "AutoEnable": False}, "NONE"),
        ({"AutoEnable": True, "MemberAccountLimitReached": False}, "NEW"),
        ({"MemberAccountLimitReached": False}, "NONE"),
    ],
)
def test_auto_enable_from_describe_reply(reply: dict[str, Any], members: str) -> None:
    assert auto_enable_from_api(reply) == members


@pytest.mark.parametrize(
    ("wanted", "current", "problem", "fix"),
    [
        ("ALL", "ALL", None, None),
        ("NEW", "NEW", None, None),
        (
            "ALL",
            "NONE",
            "organisation members auto-enabled: NONE, the spec asks for ALL",
            (
                "update_organization_configuration",
                {"DetectorId": "d1", "AutoEnableOrganizationMembers": "ALL"},
            ),
        ),
        (
            "ALL",
            "NEW",
            "organisation members auto-enabled: NEW, the spec asks for ALL",
            (
                "update_organization_configuration",
                {"DetectorId": "d1", "AutoEnableOrganizationMembers": "ALL"},
            ),
        ),
        (
            "NEW",
            "ALL",
            "organisation members auto-enabled: ALL, the spec asks for NEW",
            (
                "update_organization_configuration",
                {"DetectorId": "d1", "AutoEnableOrganizationMembers": "NEW"},
            ),
        ),
        # Not the delegated administrator: reported, and no write can fix it.
        ("ALL", None, NOT_ADMINISTRATOR, None),
    ],
)
def test_organization_problem_and_repair(
    wanted: str,
    current: str | None,
    problem: str | None,
    fix: tuple[str, dict[str, Any]] | None,
) -> None:
    spec = _org_spec(wanted)
    assert organization_problem(spec, current) == problem
    delta = organization_delta(spec, _detector(), current, NOTHING)
    assert delta.wrong == (problem is not None)
    if fix is None:  # converged, or a member account that no write of its own can fix
        assert not delta.wrong or delta.not_repairable
    else:
        assert delta.calls == (Call("guardduty", *fix),)


def test_not_administrator_reason_is_the_documented_text() -> None:
    assert NOT_ADMINISTRATOR == (
        "not the GuardDuty delegated administrator: member "
        "auto-enable is set from the administrator account"
    )
