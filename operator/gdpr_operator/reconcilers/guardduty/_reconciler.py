"""GuardDuty per account and region: one detector, enabled, publishing and featured as asked."""

from __future__ import annotations

from dataclasses import replace

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckResult, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import settle
from gdpr_operator.reconcilers._tags import created_by, ownership_tags
from gdpr_operator.reconcilers.guardduty import _observe
from gdpr_operator.reconcilers.guardduty._checks import CHECKS, FINDINGS_ACTIONS, GRANTS
from gdpr_operator.reconcilers.guardduty._diff import (
    Detector,
    detector_delta,
    organization_applies,
    organization_delta,
)


class GuardDuty:
    component = "GuardDuty"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, FINDINGS_ACTIONS)
    grants = GRANTS
    global_scope = False
    depends_on = frozenset[str]()

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.guard_duty.enabled

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        wanted, enforce = context.spec.guard_duty, context.spec.enforce
        detector = await _observe.detector(context.aws, target)
        delta = detector_delta(wanted, detector, ownership_tags(context.owner), context.permissions)
        results = await settle(context.write, target, delta, enforce=enforce)
        if detector is None and enforce:
            detector = await _observe.detector(context.aws, target)  # the one just created
            if detector is not None:  # results are about it from now on
                results = [replace(result, resource=detector.id) for result in results]
        if organization_applies(wanted):
            results.append(await _organization(context, target, detector))
        findings = await _observe.findings(context.aws, target, detector.id) if detector else []
        return ComponentReport(results=results, findings=findings)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes the detector only if this GdprMonitoring created it and no other live one
        still asks for GuardDuty there: its findings are evidence."""
        detector = await _observe.detector(context.aws, target)
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
    current = await _observe.auto_enable(context.aws, target, detector.id) if detector else None
    delta = organization_delta(context.spec.guard_duty, detector, current, context.permissions)
    (result,) = await settle(context.write, target, delta, enforce=context.spec.enforce)
    return result
