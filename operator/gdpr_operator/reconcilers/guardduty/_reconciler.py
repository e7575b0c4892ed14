"""GuardDuty per account and region: one detector, enabled, publishing and featured as asked."""

from __future__ import annotations

from dataclasses import replace

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import Action, CheckResult, MonitoringSpec
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._settle import left_alone, settle
from gdpr_operator.reconcilers._tags import created_by, ownership_tags
from gdpr_operator.reconcilers.guardduty._checks import (
    CHECKS,
    DETECTOR_ENABLED,
    FEATURES,
    FINDINGS_ACTIONS,
    GRANTS,
    ORGANIZATION_AUTO_ENABLE,
    PUBLISHING_FREQUENCY,
)
from gdpr_operator.reconcilers.guardduty._diff import (
    NO_DETECTOR_FOR_ORGANIZATION,
    Detector,
    auto_enable_from_api,
    detector_problem,
    features_problem,
    frequency_problem,
    may_change,
    not_owned,
    organization_applies,
    organization_problem,
    organization_repair,
    repair,
)
from gdpr_operator.reconcilers.guardduty._findings import count_findings


class GuardDuty:
    component = "GuardDuty"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, FINDINGS_ACTIONS)
    grants = GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.guard_duty.enabled

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        wanted = context.spec.guard_duty
        detector = await _observe(context.aws, target)
        problems = {
            DETECTOR_ENABLED: detector_problem(detector),
            PUBLISHING_FREQUENCY: frequency_problem(wanted, detector),
            FEATURES: features_problem(wanted, detector),
        }
        fix = repair(wanted, detector, ownership_tags(context.owner))
        writable = may_change(detector, context.permissions)

        async def apply() -> None:
            assert fix is not None  # settle applies only when a check failed
            operation, params = fix
            await context.write.call(target, "guardduty", operation, **params)

        results = await settle(
            target,
            target.region,
            problems,
            detector.id if detector else "",
            enforce=context.spec.enforce and writable,
            apply=apply,
        )
        if detector is not None and not writable:
            results = left_alone(results, not_owned(detector))
        if detector is None and context.spec.enforce:
            detector = await _observe(context.aws, target)  # the one just created
            if detector is not None:  # results are about it from now on
                results = [replace(result, resource=detector.id) for result in results]
        if organization_applies(wanted):
            results.append(await _organization(context, target, detector))
        findings = await count_findings(context.aws, target, detector.id) if detector else []
        return ComponentReport(results=results, findings=findings)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes the detector only if this GdprMonitoring created it and no other live one
        still asks for GuardDuty there: its findings are evidence."""
        detector = await _observe(context.aws, target)
        if detector is None or not created_by(detector.tags, context.owner):
            return ComponentReport()
        keeping = [
            other.owner
            for other in context.others
            if other.spec.guard_duty.enabled and other.covers(target.account_id, target.region)
        ]
        if keeping:
            return ComponentReport(
                kept=[
                    f"GuardDuty detector {detector.id} in {target}: "
                    f"{', '.join(sorted(keeping))} still declare(s) it"
                ]
            )
        await context.write.call(target, "guardduty", "delete_detector", DetectorId=detector.id)
        return ComponentReport(released=[f"GuardDuty detector {detector.id} in {target}"])


async def _organization(context: Context, target: Target, detector: Detector | None) -> CheckResult:
    """guardduty.organization_auto_enable: one read (and, to repair, one write)."""
    enforce = context.spec.enforce
    if detector is None:  # Observe, or Enforce whose CreateDetector failed
        return CheckResult(
            ORGANIZATION_AUTO_ENABLE.id,
            target.account,
            target.region,
            "",
            False,
            NO_DETECTOR_FOR_ORGANIZATION,
            Action.FAILED if enforce else Action.WOULD_REMEDIATE,
        )
    current = await _auto_enable(context.aws, target, detector.id)
    wanted = context.spec.guard_duty
    fix = organization_repair(wanted, detector.id, current)
    writable = may_change(detector, context.permissions)
    if current is None:  # a member account: nothing this account can write fixes it
        return CheckResult(
            ORGANIZATION_AUTO_ENABLE.id,
            target.account,
            target.region,
            detector.id,
            False,
            organization_problem(wanted, current) or "",
            Action.NONE,
            not_repairable="a member account: only the organisation's GuardDuty delegated "
            "administrator sets auto-enable",
        )

    async def apply() -> None:
        assert fix is not None  # settle applies only when the check failed
        operation, params = fix
        await context.write.call(target, "guardduty", operation, **params)

    results = await settle(
        target,
        target.region,
        {ORGANIZATION_AUTO_ENABLE: organization_problem(wanted, current)},
        detector.id,
        enforce=enforce and writable,
        apply=apply,
    )
    (result,) = results if writable else left_alone(results, not_owned(detector))
    return result


async def _auto_enable(aws: AwsReads, target: Target, detector_id: str) -> str | None:
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


async def _observe(aws: AwsReads, target: Target) -> Detector | None:
    listed = await aws.call(target, "guardduty", "list_detectors")
    # A region holds at most one detector: AWS refuses to create a second.
    detector_ids = listed.get("DetectorIds", [])
    if not detector_ids:
        return None
    detector_id = detector_ids[0]
    return Detector.from_api(
        detector_id, await aws.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    )
