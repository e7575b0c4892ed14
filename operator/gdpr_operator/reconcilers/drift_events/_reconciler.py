"""The EventBridge rule, SQS queue and target of an account-region under events.mode
Managed: created tagged, kept as declared, removed on release when no other GdprMonitoring
still covers the account-region. IAM_EVENTS_REGION has them too whenever a GdprMonitoring
covers the account (IAM's events go to its bus only): where none covers that Region, the
rule there matches IAM's events alone, and goes only with the last GdprMonitoring of the
account. Under External the account's owner makes them from the
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

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import replace

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import CheckResult, DriftEventsMode, EventsHub, MonitoringSpec
from gdpr_operator.reconcilers._access import AwsReads, AwsWrites
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import Delta, settle
from gdpr_operator.reconcilers._service_roles import ServiceRole
from gdpr_operator.reconcilers._tags import managed_by_operator, ownership_tags
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.drift_events import _observe
from gdpr_operator.reconcilers.drift_events._checks import (
    CHECKS,
    CONSUMER_ACTIONS,
    DELIVERY,
    FORWARDER_ACTIONS,
    FORWARDER_RELEASE_ACTIONS,
    GRANTS,
    HUB_CHECKS,
    HUB_RELEASE_ACTIONS,
    RELEASE_ACTIONS,
)
from gdpr_operator.reconcilers.drift_events._diff import (
    EXTERNAL_OWNER,
    EXTERNAL_TEMPLATE,
    TARGET_ID,
    delivery_delta,
    external_delta,
)
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    FORWARDER_ROLE_NAME,
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    RULE_NAME,
    iam_only,
)
from gdpr_operator.reconcilers.drift_events._hub import (
    FORWARD_POLICY_NAME,
    Hub,
    HubPlumbing,
    external_forward_problem,
    forwarder_repairs,
    forwarding_delta,
    forwards_through_role,
    hub_delta,
    hub_queue_released,
)

EXTERNAL_HUB_FIX = (
    f"create or update the CloudFormation stack from {EXTERNAL_TEMPLATE} here with its "
    "parameter HubBusArn={bus}"
)


class DriftEvents:
    component = "DriftEvents"
    checks = CHECKS
    iam_actions = declared_actions(
        (*CHECKS, *HUB_CHECKS),
        CONSUMER_ACTIONS,
        RELEASE_ACTIONS,
        FORWARDER_ACTIONS,
        HUB_RELEASE_ACTIONS,
        FORWARDER_RELEASE_ACTIONS,
    )
    grants = GRANTS
    global_scope = False
    depends_on = frozenset[str]()

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return True

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        if not context.drift_events.consumed:
            return ComponentReport()
        hub = context.events_hub
        if hub is not None:
            return await self._forward(context, target, hub)
        found = await _observe.plumbing(context.aws, target)
        only_iam = _iam_only(context, target)
        delta = (
            external_delta(found, target, iam_only=only_iam)
            if context.drift_events is DriftEventsMode.EXTERNAL
            else delivery_delta(found, target, ownership_tags(context.owner), iam_only=only_iam)
        )
        # Managed repairs whatever the spec's managementPolicy (External's delta is not
        # repairable anyway): the account asked for the plumbing.
        managed = context.drift_events is DriftEventsMode.MANAGED
        results = await settle(context.write, target, delta, enforce=managed)
        if managed and forwards_through_role(found, target.account_id):
            # Back from an events hub to the local queue: the forwarder role is of no use
            # any more. Only then (seen from the rule) is it read, so a converged pass
            # without a hub makes no IAM call.
            return ComponentReport(
                results=results,
                released=(await remove_forwarder(context.aws, context.write, target)).released,
            )
        return ComponentReport(results=results)

    async def _forward(self, context: Context, target: Target, hub: EventsHub) -> ComponentReport:
        """With an events hub: the rule forwards to the hub bus through the forwarder role."""
        if not hub.account_id:
            problem = {DELIVERY: f"the events hub's AwsAccount {hub.account} is not known"}
            return ComponentReport(
                results=await settle(
                    context.write, target, Delta(RULE_NAME, problem), enforce=False
                )
            )
        at = Hub(hub.account_id, hub.region)
        only_iam = _iam_only(context, target)
        if context.drift_events is DriftEventsMode.EXTERNAL:
            wrong = external_forward_problem(
                await _observe.plumbing(context.aws, target), at, iam_only=only_iam
            )
            fix = EXTERNAL_HUB_FIX.format(bus=at.bus_arn)
            external = Delta(
                RULE_NAME,
                {DELIVERY: f"{wrong}; {fix}" if wrong else None},
                not_repairable=EXTERNAL_OWNER,
            )
            return ComponentReport(
                results=await settle(context.write, target, external, enforce=False)
            )
        found, role = await asyncio.gather(
            _observe.plumbing(context.aws, target), _observe.forwarder_role(context, target)
        )
        tags = ownership_tags(context.owner)
        if role is None:
            role = await _made_forwarder(context, target, at, tags)
        delta = forwarding_delta(found, role, target, at, tags, iam_only=only_iam)
        return ComponentReport(results=await settle(context.write, target, delta, enforce=True))

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Removes the rule, its target and the queue, when the operator made them and no
        other GdprMonitoring (Enforce or Observe) still covers the account-region, or, in
        IAM_EVENTS_REGION, the account (Managed only: under External they are the owner's;
        under Off, `remove_plumbing` is the AwsAccount's to call as it leaves Managed)."""
        if context.drift_events is not DriftEventsMode.MANAGED:
            return ComponentReport()
        if any(
            other.covers(target.account_id, target.region)
            or (target.region == IAM_EVENTS_REGION and target.account_id in other.account_ids)
            for other in context.others
        ):
            return ComponentReport(
                kept=[f"drift event rule and queue in {target} (another GdprMonitoring uses them)"]
            )
        released = await remove_plumbing(context.aws, context.write, target, context.events_hub)
        if context.events_hub is None or any(
            target.account_id in other.account_ids for other in context.others
        ):
            return released
        role = await remove_forwarder(context.aws, context.write, target)
        return ComponentReport(released=[*released.released, *role.released])


def _iam_only(context: Context, target: Target) -> bool:
    """Whether the account-region's rule matches IAM's events alone: IAM_EVENTS_REGION,
    covered neither by this pass nor by another GdprMonitoring of the account (whose pass
    wants every event there)."""
    return iam_only(target.region, context.regions) and not any(
        other.covers(target.account_id, target.region) for other in context.others
    )


async def _made_forwarder(
    context: Context, target: Target, hub: Hub, tags: Mapping[str, str]
) -> ServiceRole | None:
    """The forwarder role created (once per pass, for every region), then read: another
    pass (another GdprMonitoring on the account) creating it at the same time is no error."""
    (create,) = [
        call
        for call in forwarder_repairs(None, target.account_id, hub, tags)
        if call.operation == "create_role"
    ]
    iam = iam_target(target)
    try:
        await context.write.once(create.key, iam, "iam", "create_role", **create.params)
    except PermanentAwsError as error:
        if error.code != "EntityAlreadyExists":
            raise
    return await _observe.read_forwarder(context.aws, target)


async def remove_plumbing(
    aws: AwsReads, write: AwsWrites, target: Target, hub: EventsHub | None = None
) -> ComponentReport:
    """Removes the rule (its target first) and the queue of the account-region, each only
    when it carries the operator's tag; what is not the operator's is left alone. With an
    events hub, the hub's own queue stays (it is the installation's, see `remove_hub`); the
    forwarder role is the account's, see `remove_forwarder`."""
    found = await _observe.plumbing(aws, target)
    if hub is not None and (target.account_id, target.region) == (hub.account_id, hub.region):
        found = replace(found, queue_url=None)
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


async def reconcile_hub(
    aws: AwsReads,
    write: AwsWrites,
    target: Target,
    members: Collection[str],
    tags: Mapping[str, str],
) -> list[CheckResult]:
    """events.hub in the hub account-region `target`: the bus letting exactly the `members`
    (account ids) put events, the rule on it, its target and the queue, made and kept as
    declared (the installation asked for them); what is not the operator's is reported and
    left alone."""
    found: HubPlumbing = await _observe.hub_plumbing(aws, target)
    delta = hub_delta(found, Hub(target.account_id, target.region), members, tags)
    return await settle(write, target, delta, enforce=True)


async def remove_hub(aws: AwsReads, write: AwsWrites, target: Target) -> ComponentReport:
    """Removes the hub's rule (its target first), queue and bus from the hub account-region,
    each only when it carries the operator's tag (the queue stays when a pass without a hub
    already took it over as the account-region's own, see `hub_queue_released`)."""
    found = await _observe.hub_plumbing(aws, target)
    released = []
    plumbing = found.plumbing
    if plumbing.rule is not None and managed_by_operator(plumbing.rule_tags):
        if plumbing.target_arns:
            await write.call(
                target,
                "events",
                "remove_targets",
                Rule=RULE_NAME,
                EventBusName=BUS_NAME,
                Ids=[TARGET_ID],
            )
        await write.call(target, "events", "delete_rule", Name=RULE_NAME, EventBusName=BUS_NAME)
        released.append(f"EventBridge rule {RULE_NAME} on bus {BUS_NAME} in {target}")
    if hub_queue_released(plumbing, target):
        await write.call(target, "sqs", "delete_queue", QueueUrl=plumbing.queue_url)
        released.append(f"SQS queue {QUEUE_NAME} in {target}")
    if found.bus_arn is not None and managed_by_operator(found.bus_tags):
        await write.call(target, "events", "delete_event_bus", Name=BUS_NAME)
        released.append(f"EventBridge bus {BUS_NAME} in {target}")
    return ComponentReport(released=released)


async def remove_forwarder(aws: AwsReads, write: AwsWrites, target: Target) -> ComponentReport:
    """Removes the forwarder role of the account (its inline policy first), when it is the
    operator's; once per pass however many regions ask (it is account-wide)."""
    iam = iam_target(target)
    role = await _observe.read_forwarder(aws, target)
    if role is None or not role.owned:
        return ComponentReport()
    if role.policy is not None:
        await write.once(
            (iam, "delete_role_policy", FORWARDER_ROLE_NAME),
            iam,
            "iam",
            "delete_role_policy",
            RoleName=FORWARDER_ROLE_NAME,
            PolicyName=FORWARD_POLICY_NAME,
        )
    await write.once(
        (iam, "delete_role", FORWARDER_ROLE_NAME),
        iam,
        "iam",
        "delete_role",
        RoleName=FORWARDER_ROLE_NAME,
    )
    return ComponentReport(released=[f"IAM role {FORWARDER_ROLE_NAME} in {target.account}"])
