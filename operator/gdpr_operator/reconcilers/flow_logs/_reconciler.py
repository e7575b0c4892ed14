"""VPC flow logs enforced (spec.flowLogs), as two components since IAM is global.

`FlowLogsRole`, once per account: the delivery role created under the operator's path and
tagged, its trust and inline policy kept as declared, deleted on release when no other
Enforce GdprMonitoring asking for flow logs covers the account. A role of that name that is
not the operator's is reported and left alone.

`FlowLogs`, per account and region: the flow log group kept at the spec's retention and KMS
key, and every VPC in scope given a flow log of the VPC, delivered to that group through the
operator's delivery role and tagged as the operator's. A VPC that already has a working flow
log of someone else's is compliant and gets none. A flow log that is not the operator's is
never modified nor deleted; the operator's own are replaced when not as declared (flow logs
cannot be changed) and deleted on release when no other Enforce GdprMonitoring asking for
flow logs covers the account-region. The group is kept on release, as every log group is: it
holds the evidence.
"""

from __future__ import annotations

import asyncio

from gdpr_operator.aws import Target
from gdpr_operator.model import MonitoringSpec
from gdpr_operator.reconcilers import _vpcs
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import settle, settle_all
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.flow_logs import _observe
from gdpr_operator.reconcilers.flow_logs._checks import (
    CHECKS,
    GRANTS,
    ROLE_CHECKS,
    ROLE_GRANTS,
    ROLE_NAME,
)
from gdpr_operator.reconcilers.flow_logs._diff import (
    Declared,
    delivery_blocked,
    group_delta,
    group_name,
    vpc_deltas,
)
from gdpr_operator.reconcilers.flow_logs._role import role_arn, role_delta
from gdpr_operator.reconcilers.log_groups import read_log_groups


def enforces_flow_logs(spec: MonitoringSpec) -> bool:
    """Whether a GdprMonitoring has the operator create and keep flow logs."""
    return spec.enforce and spec.flow_logs is not None


class FlowLogsRole:
    component = "FlowLogsRole"
    checks = ROLE_CHECKS
    iam_actions = declared_actions(ROLE_CHECKS)
    grants = ROLE_GRANTS
    global_scope = True
    depends_on = frozenset[str]()

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.flow_logs is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        group, enforce = group_name(context.spec.logs), context.spec.enforce
        role = await _observe.delivery_role(context, target, group)
        tags = ownership_tags(context.owner)
        delta = role_delta(role, target.account_id, group, tags, enforce=enforce)
        results = await settle(context.write, target, delta, enforce=enforce)
        if not (delta.calls and enforce):
            _observe.share_unchanged(context, target, group, role)
        return ComponentReport(results=results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes the role (its inline policies first) when it is the operator's and no other
        Enforce GdprMonitoring asking for flow logs still covers the account."""
        if not enforces_flow_logs(context.spec):
            return ComponentReport()  # an Observe GdprMonitoring created nothing
        keeping = sorted(
            other.owner
            for other in context.others
            if enforces_flow_logs(other.spec) and target.account_id in other.account_ids
        )
        role = await _observe.delivery_role(context, target, group_name(context.spec.logs))
        if role is None or not role.owned:
            return ComponentReport()
        if keeping:
            return ComponentReport(
                kept=[
                    f"flow logs role {ROLE_NAME} in {target.account}: "
                    f"{', '.join(keeping)} still declare(s) flow logs there"
                ]
            )
        names = await _observe.role_policies(context, target)
        if names is None:
            return ComponentReport()
        iam = iam_target(target)
        for name in names:
            await context.write.call(
                iam, "iam", "delete_role_policy", RoleName=ROLE_NAME, PolicyName=name
            )
        await context.write.call(iam, "iam", "delete_role", RoleName=ROLE_NAME)
        return ComponentReport(released=[f"flow logs role {ROLE_NAME} in {target.account}"])


class FlowLogs:
    component = "FlowLogs"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS)
    grants = GRANTS
    global_scope = False
    # Its flow logs deliver through FlowLogsRole's role, which it checks.
    depends_on = frozenset({FlowLogsRole.component})

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.flow_logs is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        spec = context.spec
        assert spec.flow_logs is not None  # applies_to
        group = group_name(spec.logs)
        declared = Declared(group, role_arn(target.account_id), spec.flow_logs.traffic_type)
        vpc_ids, flow_logs, groups, role = await asyncio.gather(
            _vpcs.vpcs(context, target, spec.flow_logs.selector_tags),
            _vpcs.flow_logs(context, target),
            read_log_groups(context.aws, target, group),
            _observe.shared_role(context, target, group),
        )
        tags = ownership_tags(context.owner)
        blocked, alone = delivery_blocked(role, enforce=spec.enforce)
        deltas = [
            group_delta(group, spec.logs, groups.get(group), tags),
            *vpc_deltas(vpc_ids, flow_logs, declared, tags, blocked=blocked, alone=alone),
        ]
        return ComponentReport(
            results=await settle_all(context.write, target, deltas, enforce=spec.enforce)
        )

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes the operator's flow logs of the region, when no other Enforce
        GdprMonitoring asking for flow logs still covers the account-region."""
        if not enforces_flow_logs(context.spec):
            return ComponentReport()  # an Observe GdprMonitoring created nothing
        # Read afresh, not the pass's shared read: what is deleted is what is there now.
        own = [log.id for log in await _vpcs.read_flow_logs(context.aws, target) if log.own]
        if not own:
            return ComponentReport()
        if any(
            enforces_flow_logs(other.spec) and other.covers(target.account_id, target.region)
            for other in context.others
        ):
            return ComponentReport(
                kept=[f"{len(own)} flow log(s) in {target} (another GdprMonitoring declares them)"]
            )
        await context.write.call(target, "ec2", "delete_flow_logs", FlowLogIds=own)
        return ComponentReport(released=[f"flow log(s) {', '.join(own)} in {target}"])
