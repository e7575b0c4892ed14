"""The EventBridge rule, SQS queue and target of an account-region under events.mode
Managed: created tagged, kept as declared, removed on release when no other GdprMonitoring
still covers the account-region. Under External the account's owner makes them from the
template (`_template`): they are read and checked, never written, and release removes
nothing.

Every GdprMonitoring runs this component, Observe ones too: the plumbing is the AwsAccount's
decision (its admin's), not the GdprMonitoring's, so whether it is written follows the
account's events.mode alone, and the engine's write guard lets exactly this component write
under Observe when that mode is Managed. An account whose events.mode is Off gets no
EventBridge or SQS call at all from a pass. What exists under these names without the
operator's tag is, under Managed, reported and left alone.
"""

from __future__ import annotations

from gdpr_operator.aws import Target
from gdpr_operator.model import DriftEventsMode, MonitoringSpec
from gdpr_operator.reconcilers._access import AwsReads, AwsWrites
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import settle
from gdpr_operator.reconcilers._tags import managed_by_operator, ownership_tags
from gdpr_operator.reconcilers.drift_events import _observe
from gdpr_operator.reconcilers.drift_events._checks import (
    CHECKS,
    CONSUMER_ACTIONS,
    GRANTS,
    RELEASE_ACTIONS,
)
from gdpr_operator.reconcilers.drift_events._diff import (
    TARGET_ID,
    delivery_delta,
    external_delta,
)
from gdpr_operator.reconcilers.drift_events._events import QUEUE_NAME, RULE_NAME


class DriftEvents:
    component = "DriftEvents"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, CONSUMER_ACTIONS, RELEASE_ACTIONS)
    grants = GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return True

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        if not context.drift_events.consumed:
            return ComponentReport()
        found = await _observe.plumbing(context.aws, target)
        delta = (
            external_delta(found, target)
            if context.drift_events is DriftEventsMode.EXTERNAL
            else delivery_delta(found, target, ownership_tags(context.owner))
        )
        # Managed repairs whatever the spec's managementPolicy (External's delta is not
        # repairable anyway): the account asked for the plumbing.
        results = await settle(
            context.write,
            target,
            delta,
            enforce=context.drift_events is DriftEventsMode.MANAGED,
        )
        return ComponentReport(results=results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Removes the rule, its target and the queue, when the operator made them and no
        other GdprMonitoring (Enforce or Observe) still covers the account-region (Managed
        only: under External they are the owner's; under Off, `remove_plumbing` is the
        AwsAccount's to call as it leaves Managed)."""
        if context.drift_events is not DriftEventsMode.MANAGED:
            return ComponentReport()
        if any(other.covers(target.account_id, target.region) for other in context.others):
            return ComponentReport(
                kept=[f"drift event rule and queue in {target} (another GdprMonitoring uses them)"]
            )
        return await remove_plumbing(context.aws, context.write, target)


async def remove_plumbing(aws: AwsReads, write: AwsWrites, target: Target) -> ComponentReport:
    """Removes the rule (its target first) and the queue of the account-region, each only
    when it carries the operator's tag; what is not the operator's is left alone."""
    found = await _observe.plumbing(aws, target)
    released = []
    if found.rule is not None and managed_by_operator(found.rule_tags):
        if found.target_arns:
            await write.call(target, "events", "remove_targets", Rule=RULE_NAME, Ids=[TARGET_ID])
        await write.call(target, "events", "delete_rule", Name=RULE_NAME)
        released.append(f"EventBridge rule {RULE_NAME} in {target}")
    if found.queue_url is not None and managed_by_operator(found.queue_tags):
        await write.call(target, "sqs", "delete_queue", QueueUrl=found.queue_url)
        released.append(f"SQS queue {QUEUE_NAME} in {target}")
    return ComponentReport(released=released)
