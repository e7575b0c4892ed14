"""The unified CloudWatch agent per account and region, delivered through Systems Manager:
the rendered configuration in Parameter Store, State Manager associations that install the
agent and apply the configuration (see `_resources` for names and targets)."""

from __future__ import annotations

from gdpr_operator.aws import Target
from gdpr_operator.model import MonitoringSpec
from gdpr_operator.reconcilers._base import (
    ComponentReport,
    Context,
    PassRead,
    declared_actions,
)
from gdpr_operator.reconcilers._delta import NotOwnedError, Verify, settle_all
from gdpr_operator.reconcilers._tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, OWNER_KEY
from gdpr_operator.reconcilers.cloudwatch_agent import _observe
from gdpr_operator.reconcilers.cloudwatch_agent._checks import CHECKS, GRANTS, RELEASE_ACTIONS
from gdpr_operator.reconcilers.cloudwatch_agent._diff import config_delta, installed_delta
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._resources import configure_name, install_name
from gdpr_operator.reconcilers.instance_profiles import InstanceProfiles

CREATED_FOR_OWNER = PassRead[tuple[str, str, str, str, str], bool]("ssm.created_for_owner")
"""Whether an SSM resource, by (account, region, kind, id, owner), is tagged as created for
that owner: read once a pass, right before the first write that would change it."""


class CloudWatchAgent:
    component = "CloudWatchAgent"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, RELEASE_ACTIONS)
    grants = GRANTS
    global_scope = False
    # Its associations reach only instances that SSM manages, which the profile
    # InstanceProfiles puts on them lets it do; both act on the same selected instances.
    depends_on = frozenset({InstanceProfiles.component})

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.cloud_watch_agent.enabled and spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        region = await _observe.region(context, target)
        enforce, verify = context.spec.enforce, _owned_verifier(context, target)
        configs = [config_delta(region, platform) for platform in region.configs]
        results = await settle_all(context.write, target, configs, enforce=enforce, verify=verify)
        deliveries = await _observe.deliveries(context.aws, target, region)
        installed = [installed_delta(region, deliveries, i) for i in region.instances]
        results += await settle_all(
            context.write, target, installed, enforce=enforce, verify=verify
        )
        return ComponentReport(results=results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes this owner's associations (so they stop applying), then its parameters:
        each known by its tags as created for this owner."""
        aws, owner = context.aws, context.owner
        released: list[str] = []
        for name in (install_name(owner), *(configure_name(owner, p) for p in Platform)):
            found = await _observe.association_id(aws, target, name)
            if found is not None and await _observe.created_for(
                aws, target, "Association", found, owner
            ):
                await context.write.call(target, "ssm", "delete_association", AssociationId=found)
                released.append(f"State Manager association {name} in {target}")
        for name in await _observe.owned_parameters(aws, target, owner):
            await context.write.call(target, "ssm", "delete_parameter", Name=name)
            released.append(f"SSM parameter {name} in {target}")
        return ComponentReport(released=released)


def _owned_verifier(context: Context, target: Target) -> Verify:
    """An explicit step of the repair, not a Call: an existing parameter or association is
    changed only once its tags, read right before (only a read shows them, and only when a
    write would change it), say it is this owner's. Otherwise NotOwnedError ends the repair
    there."""

    async def verify(owned: tuple[str, str]) -> None:
        kind, resource_id = owned
        key = (target.account, target.region, kind, resource_id, context.owner)
        mine = await context.reads.once(
            CREATED_FOR_OWNER,
            key,
            lambda: _observe.created_for(context.aws, target, kind, resource_id, context.owner),
        )
        if not mine:
            raise NotOwnedError(
                f"{kind.lower()} {resource_id} exists but was not created by gdpr-operator for "
                f"{context.owner} (tag {OWNER_KEY}): it is never modified; the account owner "
                f"can hand it over by tagging it {MANAGED_BY_KEY}={MANAGED_BY_VALUE} and "
                f"{OWNER_KEY}={context.owner}, or delete it"
            )

    return verify
