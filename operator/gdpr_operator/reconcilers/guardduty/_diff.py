"""GuardDuty: what is wrong with a region's detector, and the one call that repairs it. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.model import GuardDutySpec, TenantPermissions
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, managed_by_operator
from gdpr_operator.reconcilers.guardduty._checks import (
    DETECTOR_ENABLED,
    FEATURES,
    ORGANIZATION_AUTO_ENABLE,
    PUBLISHING_FREQUENCY,
)

ENABLED = "ENABLED"


@dataclass(frozen=True, slots=True)
class Detector:
    """A region's detector as GetDetector describes it."""

    id: str
    enabled: bool
    frequency: str
    features: Mapping[str, str]
    """Feature name -> ENABLED or DISABLED."""
    tags: Mapping[str, str]

    @classmethod
    def from_api(cls, detector_id: str, reply: Mapping[str, Any]) -> Detector:
        return cls(
            id=detector_id,
            enabled=reply.get("Status") == ENABLED,
            frequency=reply.get("FindingPublishingFrequency", ""),
            features={f["Name"]: f.get("Status", "") for f in reply.get("Features", [])},
            tags=reply.get("Tags", {}),
        )


def may_change(detector: Detector | None, permissions: TenantPermissions) -> bool:
    """Whether the operator may write to the region's detector: none yet (it creates its
    own), one it owns, or one the AwsAccount lets it adopt. It deletes only its own."""
    return (
        detector is None
        or managed_by_operator(detector.tags)
        or permissions.adopt_guardduty_detectors
    )


def not_owned(detector: Detector) -> str:
    """Why a detector the operator may not change is left as it is, and how it can be."""
    return (
        f"not modified: detector {detector.id} was not created by gdpr-operator; a cluster "
        f"administrator can let the operator adopt it (AwsAccount "
        f"spec.permissions.adoptGuardDutyDetectors: true), or the account owner can hand it "
        f"over by tagging it {MANAGED_BY_KEY}={MANAGED_BY_VALUE}"
    )


def detector_problem(detector: Detector | None) -> str | None:
    if detector is None:
        return "no GuardDuty detector in this region"
    return None if detector.enabled else f"detector {detector.id} is DISABLED"


def frequency_problem(spec: GuardDutySpec, detector: Detector | None) -> str | None:
    if detector is None:
        return "no detector to publish findings"
    if detector.frequency == spec.finding_publishing_frequency:
        return None
    return (
        f"findings published every {detector.frequency or 'unknown'}, the spec asks for "
        f"{spec.finding_publishing_frequency}"
    )


def missing_features(spec: GuardDutySpec, detector: Detector | None) -> list[str]:
    current = detector.features if detector else {}
    return [name for name in spec.features if current.get(name) != ENABLED]


def features_problem(spec: GuardDutySpec, detector: Detector | None) -> str | None:
    missing = missing_features(spec, detector)
    return f"features not enabled: {', '.join(missing)}" if missing else None


def detector_delta(
    spec: GuardDutySpec,
    detector: Detector | None,
    tags: Mapping[str, str],
    permissions: TenantPermissions,
) -> Delta:
    """The region's detector: its three checks, and the one call that fixes them all."""
    return Delta(
        resource=detector.id if detector else "",
        problems={
            DETECTOR_ENABLED: detector_problem(detector),
            PUBLISHING_FREQUENCY: frequency_problem(spec, detector),
            FEATURES: features_problem(spec, detector),
        },
        calls=(repair(spec, detector, tags),),
        left_alone=_left_alone(detector, permissions),
    )


def repair(spec: GuardDutySpec, detector: Detector | None, tags: Mapping[str, str]) -> Call:
    """The single call that makes the region's detector what the spec asks: a tagged new one,
    or one update of the existing one.

    Features are sent as the full list, those the spec does not mention at their current
    status, so that nothing the spec is silent about changes, whatever the API merges.
    """
    requested = [{"Name": name, "Status": ENABLED} for name in spec.features]
    if detector is None:
        return Call(
            "guardduty",
            "create_detector",
            {
                "Enable": True,
                "FindingPublishingFrequency": spec.finding_publishing_frequency,
                "Features": requested,
                "Tags": dict(tags),
            },
        )
    params: dict[str, Any] = {
        "DetectorId": detector.id,
        "Enable": True,
        "FindingPublishingFrequency": spec.finding_publishing_frequency,
    }
    if missing_features(spec, detector):
        untouched = [
            {"Name": name, "Status": status}
            for name, status in sorted(detector.features.items())
            if name not in spec.features
        ]
        params["Features"] = requested + untouched
    return Call("guardduty", "update_detector", params)


def _left_alone(detector: Detector | None, permissions: TenantPermissions) -> str:
    return "" if detector is None or may_change(detector, permissions) else not_owned(detector)


# Organisations: the delegated administrator's member auto-enable setting.

NOT_ADMINISTRATOR = (
    "not the GuardDuty delegated administrator: member auto-enable is set "
    "from the administrator account"
)
NO_DETECTOR_FOR_ORGANIZATION = "no detector to set member auto-enable on"
MEMBER_ACCOUNT = (
    "a member account: only the organisation's GuardDuty delegated administrator sets auto-enable"
)


def organization_applies(spec: GuardDutySpec) -> bool:
    """Whether the spec asks for member auto-enable at all (NEW or ALL)."""
    return spec.auto_enable_organization_members not in ("", "NONE")


def auto_enable_from_api(reply: Mapping[str, Any]) -> str:
    """AutoEnableOrganizationMembers from DescribeOrganizationConfiguration; from the
    deprecated AutoEnable (true: NEW) when an older answer lacks it."""
    members = reply.get("AutoEnableOrganizationMembers")
    if members:
        return str(members)
    return "NEW" if reply.get("AutoEnable") else "NONE"


def organization_problem(spec: GuardDutySpec, current: str | None) -> str | None:
    """What is wrong with member auto-enable; `current` None: not the administrator."""
    if current is None:
        return NOT_ADMINISTRATOR
    wanted = spec.auto_enable_organization_members
    if current == wanted:
        return None
    return f"organisation members auto-enabled: {current}, the spec asks for {wanted}"


def organization_delta(
    spec: GuardDutySpec,
    detector: Detector | None,
    current: str | None,
    permissions: TenantPermissions,
) -> Delta:
    """guardduty.organization_auto_enable: member auto-enable as `current` has it (None: not
    the administrator), and the call that sets it.

    Without a detector (Observe, or an Enforce whose CreateDetector failed) there is nothing
    to set it on; a member account cannot set it at all."""
    if detector is None:
        return Delta("", {ORGANIZATION_AUTO_ENABLE: NO_DETECTOR_FOR_ORGANIZATION}, blocked=True)
    problems = {ORGANIZATION_AUTO_ENABLE: organization_problem(spec, current)}
    if current is None:
        return Delta(detector.id, problems, not_repairable=MEMBER_ACCOUNT)
    return Delta(
        detector.id,
        problems,
        calls=(
            Call(
                "guardduty",
                "update_organization_configuration",
                {
                    "DetectorId": detector.id,
                    "AutoEnableOrganizationMembers": spec.auto_enable_organization_members,
                },
            ),
        ),
        left_alone=_left_alone(detector, permissions),
    )
