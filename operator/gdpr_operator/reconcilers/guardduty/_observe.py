"""GuardDuty's reads: a region's detector, its member auto-enable setting and its findings."""

from __future__ import annotations

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import FindingCount
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers.guardduty._diff import Detector, auto_enable_from_api
from gdpr_operator.reconcilers.guardduty._findings import UNARCHIVED, counts_by_band


async def detector(aws: AwsReads, target: Target) -> Detector | None:
    """The region's detector, if it has one."""
    listed = await aws.call(target, "guardduty", "list_detectors")
    # A region holds at most one detector: AWS refuses to create a second.
    detector_ids = listed.get("DetectorIds", [])
    if not detector_ids:
        return None
    detector_id = detector_ids[0]
    return Detector.from_api(
        detector_id, await aws.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    )


async def auto_enable(aws: AwsReads, target: Target, detector_id: str) -> str | None:
    """The detector's AutoEnableOrganizationMembers; None when the account is not the
    delegated administrator (GuardDuty answers BadRequestException, which the aws layer
    classifies as PermanentAwsError, code BadRequestException)."""
    try:
        reply = await aws.call(
            target, "guardduty", "describe_organization_configuration", DetectorId=detector_id
        )
    except PermanentAwsError as error:
        if error.code == "BadRequestException":
            return None
        raise
    return auto_enable_from_api(reply)


async def findings(aws: AwsReads, target: Target, detector_id: str) -> list[FindingCount]:
    """Unarchived findings by severity band, from one GetFindingsStatistics call."""
    reply = await aws.call(
        target,
        "guardduty",
        "get_findings_statistics",
        DetectorId=detector_id,
        FindingStatisticTypes=["COUNT_BY_SEVERITY"],
        FindingCriteria=UNARCHIVED,
    )
    bands = counts_by_band(reply.get("FindingStatistics", {}).get("CountBySeverity", {}))
    return [
        FindingCount(target.account, target.region, severity, count)
        for severity, count in bands.items()
    ]
