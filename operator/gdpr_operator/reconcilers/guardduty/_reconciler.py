"""GuardDuty per account and region: one detector, enabled, publishing and featured as asked."""

from __future__ import annotations

from dataclasses import replace

from gdpr_operator.aws import Aws, Target
from gdpr_operator.model import MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context
from gdpr_operator.reconcilers._settle import settle
from gdpr_operator.reconcilers._tags import created_by, ownership_tags
from gdpr_operator.reconcilers.guardduty._checks import (
    CHECKS,
    DETECTOR_ENABLED,
    FEATURES,
    FINDINGS_ACTIONS,
    PUBLISHING_FREQUENCY,
)
from gdpr_operator.reconcilers.guardduty._diff import (
    Detector,
    detector_problem,
    features_problem,
    frequency_problem,
    repair,
)
from gdpr_operator.reconcilers.guardduty._findings import count_findings


class GuardDuty:
    component = "GuardDuty"
    checks = CHECKS
    iam_actions = frozenset().union(*(check.iam_actions for check in CHECKS), FINDINGS_ACTIONS)
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

        async def apply() -> None:
            assert fix is not None  # settle applies only when a check failed
            operation, params = fix
            await context.aws.call(target, "guardduty", operation, **params)

        results = await settle(target, target.region, problems,
                               detector.id if detector else "",
                               enforce=context.spec.enforce, apply=apply)
        if detector is None and context.spec.enforce:
            detector = await _observe(context.aws, target)  # the one just created
            if detector is not None:  # results are about it from now on
                results = [replace(result, resource=detector.id) for result in results]
        findings = await count_findings(context.aws, target, detector.id) if detector else []
        return ComponentReport(results=results, findings=findings)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        detector = await _observe(context.aws, target)
        if detector is None or not created_by(detector.tags, context.owner):
            return ComponentReport()
        await context.aws.call(target, "guardduty", "delete_detector", DetectorId=detector.id)
        return ComponentReport(released=[f"GuardDuty detector {detector.id} in {target}"])


async def _observe(aws: Aws, target: Target) -> Detector | None:
    listed = await aws.call(target, "guardduty", "list_detectors")
    # A region holds at most one detector: AWS refuses to create a second.
    detector_ids = listed.get("DetectorIds", [])
    if not detector_ids:
        return None
    detector_id = detector_ids[0]
    return Detector.from_api(
        detector_id, await aws.call(target, "guardduty", "get_detector", DetectorId=detector_id)
    )
