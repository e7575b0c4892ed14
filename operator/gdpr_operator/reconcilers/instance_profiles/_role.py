"""The agent's role and its instance profile, once per account (IAM is global)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from functools import partial

from gdpr_operator.aws import Target
from gdpr_operator.model import (
    GLOBAL_REGION,
    Action,
    CheckResult,
    MonitoringSpec,
    permitted_policy_arns,
)
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._settle import settle
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.instance_profiles._checks import (
    ACCOUNT_CHECKS,
    ACCOUNT_GRANTS,
    AGENT_ROLE,
    INSTANCE_PROFILE,
)
from gdpr_operator.reconcilers.instance_profiles._diff import (
    Profile,
    Role,
    instances_spec,
    profile_problem,
    repair,
    role_problem,
)
from gdpr_operator.reconcilers.instance_profiles._iam import (
    iam_target,
    read_profile,
    read_role,
    share_unchanged,
)
from gdpr_operator.reconcilers.instance_profiles._release import RELEASE_ACTIONS, release_agent


class AgentRole:
    component = "AgentRole"
    checks = ACCOUNT_CHECKS
    iam_actions = declared_actions(ACCOUNT_CHECKS, RELEASE_ACTIONS)
    grants = ACCOUNT_GRANTS
    global_scope = True

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        wanted = instances_spec(context.spec)
        permitted = permitted_policy_arns(wanted, context.permissions)
        role, profile = await asyncio.gather(
            read_role(context.aws, target, wanted.role_name),
            read_profile(context.aws, target, wanted.role_name),
        )
        problems = {
            AGENT_ROLE: role_problem(wanted, role, permitted),
            INSTANCE_PROFILE: profile_problem(wanted, profile),
        }
        calls = repair(wanted, role, profile, ownership_tags(context.owner), permitted)
        apply = partial(context.write.in_order, iam_target(target), "iam", calls)
        results = await settle(
            target,
            GLOBAL_REGION,
            problems,
            wanted.role_name,
            enforce=context.spec.enforce,
            apply=apply if calls else None,
        )
        results = [
            _left_alone(result, found)
            for result, found in zip(results, (role, profile), strict=True)
        ]
        if not (calls and context.spec.enforce):
            share_unchanged(context, target, role, profile)
        existed = (role is not None, profile is not None)
        # A result names what exists: what was there, or what this pass created.
        return ComponentReport(
            results=[
                result
                if found or result.action is Action.REMEDIATED
                else replace(result, resource="")
                for result, found in zip(results, existed, strict=True)
            ]
        )

    async def release(self, context: Context, target: Target) -> ComponentReport:
        return await release_agent(context, target)


def _left_alone(result: CheckResult, found: Role | Profile | None) -> CheckResult:
    """A role or profile the operator does not own gets no repair, in any mode."""
    if found is None or found.owned or result.compliant:
        return result
    return replace(result, action=Action.NONE)
