"""VPC flow logs per account and region (spec.flowLogs): the flow log group kept at the
spec's retention and KMS key, and every VPC in scope given a flow log of the VPC, delivered
to that group through the operator's delivery role and tagged as the operator's.

A VPC that already has a working flow log of someone else's is compliant and gets none. A
flow log that is not the operator's is never modified nor deleted; the operator's own are
replaced when not as declared (flow logs cannot be changed) and deleted on release when no
other Enforce GdprMonitoring asking for flow logs covers the account-region. The group is
kept on release, as every log group is: it holds the evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import CheckResult, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import Delta
from gdpr_operator.reconcilers._delta import settle as settle_delta
from gdpr_operator.reconcilers._settle import left_alone, settle
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.flow_logs._checks import (
    CHECKS,
    DELIVERY,
    FLOW_LOG_GROUP,
    GRANTS,
    ROLE_NAME,
)
from gdpr_operator.reconcilers.flow_logs._diff import (
    Declared,
    VpcPlan,
    create_flow_log,
    group_name,
    group_problem,
    role_arn,
    role_not_owned,
    vpc_plans,
)
from gdpr_operator.reconcilers.flow_logs._flow_log import FlowLog
from gdpr_operator.reconcilers.flow_logs._iam import shared_role
from gdpr_operator.reconcilers.flow_logs._role import enforces_flow_logs
from gdpr_operator.reconcilers.log_groups import LogGroup, read_log_groups, repairs


class FlowLogs:
    component = "FlowLogs"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS)
    grants = GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.flow_logs is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        spec = context.spec
        assert spec.flow_logs is not None  # applies_to
        group = group_name(spec.logs)
        declared = Declared(group, role_arn(target.account_id), spec.flow_logs.traffic_type)
        vpc_ids, flow_logs, groups, role = await asyncio.gather(
            _vpcs_in_scope(context, target, spec.flow_logs.selector_tags),
            _vpc_flow_logs(context, target),
            read_log_groups(context.aws, target, group),
            shared_role(context, target, group),
        )
        results = await _keep_group(context, target, group, groups.get(group))
        # A flow log is only created through the operator's own role, once it exists: one
        # not its own is never repaired; a missing one is made by the account component
        # first, so under Enforce it is missing only when that failed.
        refusal = role_not_owned(role)
        missing = f"its delivery role {ROLE_NAME} does not exist" if role is None else None
        for plan in vpc_plans(vpc_ids, flow_logs, declared):
            results += await _settle_vpc(
                context,
                target,
                plan,
                declared,
                blocked=refusal or missing,
                alone=refusal is not None or spec.enforce,
            )
        return ComponentReport(results=results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes the operator's flow logs of the region, when no other Enforce
        GdprMonitoring asking for flow logs still covers the account-region."""
        if not enforces_flow_logs(context.spec):
            return ComponentReport()  # an Observe GdprMonitoring created nothing
        own = [log.id for log in await _vpc_flow_logs(context, target) if log.own]
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


async def _keep_group(
    context: Context, target: Target, group: str, found: LogGroup | None
) -> list[CheckResult]:
    """The flow log group, created with (and kept at) the spec's retention and KMS key, by
    the calls the LogGroups component makes for its own groups."""
    logs = context.spec.logs
    delta = Delta(
        group,
        {FLOW_LOG_GROUP: group_problem(logs, found)},
        calls=repairs(group, logs, found, ownership_tags(context.owner)),
    )
    return await settle_delta(context.write, target, delta, enforce=context.spec.enforce)


async def _settle_vpc(
    context: Context,
    target: Target,
    plan: VpcPlan,
    declared: Declared,
    *,
    blocked: str | None,
    alone: bool,
) -> list[CheckResult]:
    """One VPC's result; unless `blocked` (why no flow log can be made now), its repair.
    Blocked and `alone`: no pass will repair it as things are, which the result says."""

    async def apply() -> None:
        if plan.replace:
            await context.write.call(
                target, "ec2", "delete_flow_logs", FlowLogIds=list(plan.replace)
            )
        params = create_flow_log(plan.vpc_id, declared, ownership_tags(context.owner))
        reply = await context.write.call(target, "ec2", "create_flow_logs", **params)
        for failure in reply.get("Unsuccessful", []):
            error = failure.get("Error", {})
            raise PermanentAwsError(
                error.get("Message", "not created"),
                service="ec2",
                operation="CreateFlowLogs",
                code=error.get("Code", ""),
            )

    results = [
        replace(result, reason=plan.note) if result.compliant else result
        for result in await settle(
            target,
            target.region,
            {DELIVERY: plan.problem},
            plan.vpc_id,
            enforce=context.spec.enforce,
            apply=None if blocked else apply,
        )
    ]
    return left_alone(results, blocked) if blocked and alone else results


async def _vpcs_in_scope(context: Context, target: Target, tags: Mapping[str, str]) -> list[str]:
    """The region's VPCs carrying all `tags` (every VPC for none), by EC2's own filters."""
    filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in sorted(tags.items())]
    return [
        vpc["VpcId"]
        async for page in context.aws.paginate(
            target, "ec2", "describe_vpcs", **({"Filters": filters} if filters else {})
        )
        for vpc in page.get("Vpcs", [])
    ]


async def _vpc_flow_logs(context: Context, target: Target) -> Sequence[FlowLog]:
    """The region's flow logs (of VPCs, subnets and interfaces: only a VPC's own counts)."""
    return [
        FlowLog.from_api(item)
        async for page in context.aws.paginate(target, "ec2", "describe_flow_logs")
        for item in page.get("FlowLogs", [])
    ]
