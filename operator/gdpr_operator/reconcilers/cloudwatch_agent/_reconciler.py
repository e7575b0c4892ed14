"""The unified CloudWatch agent per account and region, delivered through Systems Manager:
the rendered configuration in Parameter Store, State Manager associations that install the
agent and apply the configuration (see `_ssm` for names and targets)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import Action, CheckResult, MonitoringSpec
from gdpr_operator.reconcilers._base import (
    ComponentReport,
    Context,
    PassRead,
    PassReads,
    declared_actions,
)
from gdpr_operator.reconcilers._settle import NotOwnedError, settle
from gdpr_operator.reconcilers._tags import (
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    OWNER_KEY,
    created_by,
    ownership_tags,
    tag_map,
)
from gdpr_operator.reconcilers.cloudwatch_agent._checks import (
    CHECKS,
    CONFIG,
    GRANTS,
    INSTALLED,
    RELEASE_ACTIONS,
)
from gdpr_operator.reconcilers.cloudwatch_agent._diff import (
    Delivery,
    Run,
    StoredConfig,
    association_problem,
    association_request,
    config_problem,
    configure_problem,
    parameter_request,
    run_problem,
    unconfigured_problem,
)
from gdpr_operator.reconcilers.cloudwatch_agent._instances import Instance, selected_instances
from gdpr_operator.reconcilers.cloudwatch_agent._observe import (
    association_id,
    latest_runs,
    observe_association,
    owned_parameters,
    stored_configs,
)
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import AgentConfig, configs_for
from gdpr_operator.reconcilers.cloudwatch_agent._ssm import (
    Association,
    Targets,
    configure_association,
    configure_name,
    install_association,
    install_name,
    parameter_name,
    tag_targeted,
    targets,
)


class CloudWatchAgent:
    component = "CloudWatchAgent"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS, RELEASE_ACTIONS)
    grants = GRANTS
    global_scope = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.cloud_watch_agent.enabled and spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        state = await _observe(context, target)
        results: list[CheckResult] = []
        for platform, config in state.configs.items():
            name = parameter_name(context.owner, platform)
            problem = _joined(
                config_problem(name, config, state.stored.get(name)),
                state.delivery_problem(platform),
            )
            results += await settle(
                target,
                target.region,
                {CONFIG: problem},
                name,
                enforce=context.spec.enforce,
                apply=state.repair(platform),
            )
        deliveries = await _deliveries(context, target, state)
        for instance in state.instances:
            results += await _installed(context, target, state, deliveries, instance)
        return ComponentReport(results=results)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Deletes this owner's associations (so they stop applying), then its parameters:
        each known by its tags as created for this owner."""
        owner = context.owner
        released: list[str] = []
        for name in (install_name(owner), *(configure_name(owner, p) for p in Platform)):
            found = await association_id(context.aws, target, name)
            if found is not None and await _created_by(context, target, "Association", found):
                await context.write.call(target, "ssm", "delete_association", AssociationId=found)
                released.append(f"State Manager association {name} in {target}")
        for name in await owned_parameters(context.aws, target, owner):
            await context.write.call(target, "ssm", "delete_parameter", Name=name)
            released.append(f"SSM parameter {name} in {target}")
        return ComponentReport(released=released)


async def _created_by(context: Context, target: Target, kind: str, resource_id: str) -> bool:
    """Whether the SSM resource (a "Parameter" or an "Association") is tagged as created
    for this owner."""
    reply = await context.aws.call(
        target, "ssm", "list_tags_for_resource", ResourceType=kind, ResourceId=resource_id
    )
    return created_by(tag_map(reply.get("TagList", [])), context.owner)


async def _require_own(context: Context, target: Target, kind: str, resource_id: str) -> None:
    """Before changing an existing parameter or association: it must be this owner's."""
    if not await _created_by(context, target, kind, resource_id):
        raise NotOwnedError(
            f"{kind.lower()} {resource_id} exists but was not created by gdpr-operator for "
            f"{context.owner} (tag {OWNER_KEY}): it is never modified; the account owner can "
            f"hand it over by tagging it {MANAGED_BY_KEY}={MANAGED_BY_VALUE} and "
            f"{OWNER_KEY}={context.owner}, or delete it"
        )


_REPAIR = PassRead[Hashable, Any]("cloudwatch_agent.repair")
"""The repairs of one region, each made once however many results ask for it."""


@dataclass(frozen=True, slots=True)
class _State:
    """What one pass observed in a region, what it wants, and how to get there."""

    context: Context
    target: Target
    configs: Mapping[Platform, AgentConfig]
    instances: Sequence[Instance]
    stored: Mapping[str, StoredConfig]
    associations: Mapping[str, Association | None]
    """By AssociationName."""
    install_targets: Targets | None
    configure_targets: Mapping[Platform, Targets | None]
    done: PassReads
    """Repairs, each made once however many results ask for it."""

    @property
    def install_name(self) -> str:
        return install_name(self.context.owner)

    def delivery_problem(self, platform: Platform) -> str | None:
        owner, wanted = self.context.owner, self.configure_targets[platform]
        name = parameter_name(owner, platform)
        return _joined(
            association_problem(
                self.associations[self.install_name],
                install_association(owner, self.install_targets),
            )
            if self.install_targets
            else None,
            configure_problem(
                owner,
                platform,
                self.configs[platform],
                stored=self.stored.get(name),
                observed=self.associations[configure_name(owner, platform)],
                wanted_targets=wanted,
            )
            if wanted
            else None,
        )

    def repair(self, platform: Platform) -> Callable[[], Awaitable[None]]:
        async def deliver() -> None:
            await self.done.once(_REPAIR, "install", self._install)
            version = await self.done.once(
                _REPAIR, ("parameter", platform), lambda: self._put_parameter(platform)
            )
            wanted = self.configure_targets[platform]
            if wanted:
                await self._associate(
                    configure_association(self.context.owner, platform, version, wanted)
                )

        return lambda: self.done.once(_REPAIR, ("deliver", platform), deliver)

    async def _install(self) -> None:
        if self.install_targets:
            await self._associate(install_association(self.context.owner, self.install_targets))

    async def _put_parameter(self, platform: Platform) -> int:
        owner, config = self.context.owner, self.configs[platform]
        name = parameter_name(owner, platform)
        stored = self.stored.get(name)
        if stored is not None and stored.holds(config):
            return stored.version
        if stored is not None:
            await _require_own(self.context, self.target, "Parameter", name)
        reply = await self.context.write.call(
            self.target,
            "ssm",
            "put_parameter",
            **parameter_request(name, config, stored, owner, ownership_tags(owner)),
        )
        version: int = reply["Version"]
        return version

    async def _associate(self, wanted: Association) -> None:
        observed = self.associations[wanted.name]
        request = association_request(observed, wanted, ownership_tags(self.context.owner))
        if request is not None:
            if observed is not None:
                await _require_own(self.context, self.target, "Association", observed.id)
            operation, params = request
            await self.context.write.call(self.target, "ssm", operation, **params)


async def _observe(context: Context, target: Target) -> _State:
    assert context.spec.instances is not None  # applies_to
    aws, owner = context.aws, context.owner
    selector = context.spec.instances.selector_tags
    configs = configs_for(context.spec)
    instances = await selected_instances(context, target)
    names = [install_name(owner), *(configure_name(owner, p) for p in configs)]
    stored, associations = await asyncio.gather(
        stored_configs(aws, target, [parameter_name(owner, p) for p in configs]),
        asyncio.gather(*(observe_association(aws, target, name) for name in names)),
    )
    per_platform = tag_targeted(selector, platforms=len(configs))
    return _State(
        context=context,
        target=target,
        configs=configs,
        instances=instances,
        stored=stored,
        associations=dict(zip(names, associations, strict=True)),
        install_targets=targets(selector, [i.id for i in instances], tag_targeted(selector)),
        configure_targets={
            platform: targets(
                selector, [i.id for i in instances if i.platform is platform], per_platform
            )
            for platform in configs
        },
        done=PassReads(),
    )


async def _deliveries(context: Context, target: Target, state: _State) -> dict[Platform, Delivery]:
    """Per configured platform: its associations' problem, or where they have run."""
    owner = context.owner

    async def runs(name: str) -> Run:
        association = state.associations.get(name)
        statuses = await latest_runs(context.aws, target, association) if association else {}
        return Run(name, statuses)

    in_sync = [p for p in state.configs if state.delivery_problem(p) is None]
    install = await runs(state.install_name) if in_sync else Run(state.install_name, {})
    configured = await asyncio.gather(*(runs(configure_name(owner, p)) for p in in_sync))
    by_platform = dict(zip(in_sync, configured, strict=True))
    return {
        platform: Delivery(
            problem=state.delivery_problem(platform),
            targeted=_targeted(state.install_targets, state.configure_targets[platform]),
            install=install,
            configure=by_platform.get(platform, Run(configure_name(owner, platform), {})),
        )
        for platform in state.configs
    }


async def _installed(
    context: Context,
    target: Target,
    state: _State,
    deliveries: Mapping[Platform, Delivery],
    instance: Instance,
) -> list[CheckResult]:
    delivery = deliveries.get(instance.platform)
    if delivery is None:
        problem: str | None = unconfigured_problem(instance.platform)
    elif delivery.problem:
        return await settle(
            target,
            target.region,
            {INSTALLED: delivery.problem},
            instance.id,
            enforce=context.spec.enforce,
            apply=state.repair(instance.platform),
        )
    else:
        problem = run_problem(instance.id, delivery)
    # Nothing the operator can write repairs these: State Manager has yet to run, or the
    # spec has no configuration for the platform.
    results = await settle(
        target,
        target.region,
        {INSTALLED: problem},
        instance.id,
        enforce=context.spec.enforce,
        apply=None,
    )
    return [replace(result, action=Action.NONE) for result in results]


def _targeted(*all_targets: Targets | None) -> frozenset[str] | None:
    """The instance ids that every association targeting by id targets; None if none does."""
    by_id = [
        frozenset(dict(t)["InstanceIds"]) for t in all_targets if t and "InstanceIds" in dict(t)
    ]
    return frozenset.intersection(*by_id) if by_id else None


def _joined(*problems: str | None) -> str | None:
    return "; ".join(problem for problem in problems if problem) or None
