"""The flow logs' delivery role, once per account (IAM is global): created under the
operator's path and tagged, its trust and inline policy kept as declared, deleted on release
when no other Enforce GdprMonitoring asking for flow logs covers the account. A role of that
name that is not the operator's is reported and left alone."""

from __future__ import annotations

from functools import partial

from gdpr_operator.aws import NotFoundError, Target
from gdpr_operator.model import GLOBAL_REGION, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._settle import left_alone, settle
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.flow_logs._checks import (
    DELIVERY_ROLE,
    ROLE_CHECKS,
    ROLE_GRANTS,
    ROLE_NAME,
)
from gdpr_operator.reconcilers.flow_logs._diff import (
    group_name,
    role_not_owned,
    role_problem,
    role_repair,
)
from gdpr_operator.reconcilers.flow_logs._iam import iam_target, read_role, share_unchanged


def enforces_flow_logs(spec: MonitoringSpec) -> bool:
    """Whether a GdprMonitoring has the operator create and keep flow logs."""
    return spec.enforce and spec.flow_logs is not None


class FlowLogsRole:
    component = "FlowLogsRole"
    checks = ROLE_CHECKS
    iam_actions = declared_actions(ROLE_CHECKS)
    grants = ROLE_GRANTS
    global_scope = True

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.flow_logs is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        group = group_name(context.spec.logs)
        role = await read_role(context, target, group)
        refusal = role_not_owned(role)
        calls = role_repair(role, target.account_id, group, ownership_tags(context.owner))
        apply = partial(context.write.in_order, iam_target(target), "iam", calls)
        results = await settle(
            target,
            GLOBAL_REGION,
            {DELIVERY_ROLE: refusal or role_problem(role, target.account_id, group)},
            ROLE_NAME if role is not None or (calls and context.spec.enforce) else "",
            enforce=context.spec.enforce,
            apply=apply if calls else None,
        )
        if not (calls and context.spec.enforce):
            share_unchanged(context, target, group, role)
        return ComponentReport(results=left_alone(results, "left as it is") if refusal else results)

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
        role = await read_role(context, target, group_name(context.spec.logs))
        if role is None or not role.owned:
            return ComponentReport()
        if keeping:
            return ComponentReport(
                kept=[
                    f"flow logs role {ROLE_NAME} in {target.account}: "
                    f"{', '.join(keeping)} still declare(s) flow logs there"
                ]
            )
        iam = iam_target(target)
        try:
            names = [
                name
                async for page in context.aws.paginate(
                    iam, "iam", "list_role_policies", RoleName=ROLE_NAME
                )
                for name in page.get("PolicyNames", [])
            ]
        except NotFoundError:
            return ComponentReport()
        for name in names:
            await context.write.call(
                iam, "iam", "delete_role_policy", RoleName=ROLE_NAME, PolicyName=name
            )
        await context.write.call(iam, "iam", "delete_role", RoleName=ROLE_NAME)
        return ComponentReport(released=[f"flow logs role {ROLE_NAME} in {target.account}"])
