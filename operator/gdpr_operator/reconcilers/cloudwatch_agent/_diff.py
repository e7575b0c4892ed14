"""The CloudWatch agent: what is wrong with a platform's parameter and associations, and with
an instance's agent; and the calls that repair them. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import tag_list
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.cloudwatch_agent._checks import CONFIG, INSTALLED
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import AgentConfig
from gdpr_operator.reconcilers.cloudwatch_agent._resources import (
    MAX_TARGET_IDS,
    AgentAssociation,
    StoredConfig,
    Targets,
    configure_association,
    configure_name,
    delivered_version,
    install_association,
    install_name,
    parameter_name,
)

SUCCESS = "Success"
PARAMETER_TIER = "Intelligent-Tiering"
"""Standard while the configuration fits in 4 KB, Advanced (up to 8 KB) when it does not."""


@dataclass(frozen=True, slots=True)
class AgentInstance:
    """A selected EC2 instance as the agent sees it: an id and a platform."""

    id: str
    platform: Platform


@dataclass(frozen=True, slots=True)
class Run:
    """Where an association has run: instance id -> status of its latest run there, at the
    association's current version."""

    name: str
    statuses: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Delivery:
    """How State Manager delivers the agent and one platform's configuration."""

    problem: str | None
    """What the associations lack; a write repairs it."""
    targeted: frozenset[str] | None
    """The instance ids the associations target; None when targeted by tag."""
    install: Run
    configure: Run


@dataclass(frozen=True, slots=True)
class Region:
    """What a pass found in one region, and what the spec wants there."""

    owner: str
    configs: Mapping[Platform, AgentConfig]
    """The rendered configuration per platform the spec configures."""
    instances: Sequence[AgentInstance]
    stored: Mapping[str, StoredConfig]
    """The platforms' parameters that exist, by name."""
    associations: Mapping[str, AgentAssociation | None]
    """By AssociationName: the install one and each configured platform's."""
    install_targets: Targets | None
    configure_targets: Mapping[Platform, Targets | None]

    def stored_config(self, platform: Platform) -> StoredConfig | None:
        return self.stored.get(parameter_name(self.owner, platform))

    def delivery_problem(self, platform: Platform) -> str | None:
        """What the platform's associations (and the install one) lack."""
        wanted = self.configure_targets[platform]
        return joined(
            association_problem(
                self.associations[install_name(self.owner)],
                install_association(self.owner, self.install_targets),
            )
            if self.install_targets
            else None,
            configure_problem(
                self.owner,
                platform,
                self.configs[platform],
                stored=self.stored_config(platform),
                observed=self.associations[configure_name(self.owner, platform)],
                wanted_targets=wanted,
            )
            if wanted
            else None,
        )


def config_delta(region: Region, platform: Platform) -> Delta:
    """cwagent.config for the platform's parameter: it and its associations, delivered."""
    name = parameter_name(region.owner, platform)
    problem = joined(
        config_problem(name, region.configs[platform], region.stored_config(platform)),
        region.delivery_problem(platform),
    )
    return Delta(name, {CONFIG: problem}, calls=delivery_calls(region, platform))


def installed_delta(
    region: Region, deliveries: Mapping[Platform, Delivery], instance: AgentInstance
) -> Delta:
    """cwagent.installed for an instance: the platform's delivery repaired if it lacks
    something; otherwise nothing to write (State Manager has yet to run, or the spec has no
    configuration for the platform)."""
    delivery = deliveries.get(instance.platform)
    if delivery is None:
        return Delta(instance.id, {INSTALLED: unconfigured_problem(instance.platform)}, waits=True)
    if delivery.problem:
        calls = delivery_calls(region, instance.platform)
        return Delta(instance.id, {INSTALLED: delivery.problem}, calls=calls)
    return Delta(instance.id, {INSTALLED: run_problem(instance.id, delivery)}, waits=True)


def delivery_calls(region: Region, platform: Platform) -> tuple[Call, ...]:
    """The install association, the platform's parameter, then its configure association, as
    far as each differs from what is wanted; each call made once a pass however many results
    it repairs. The configure association names the parameter version the put makes (one
    version per changed configuration), so it comes after the put."""
    owner, config = region.owner, region.configs[platform]
    tags = ownership_tags(owner)
    stored = region.stored_config(platform)
    calls: list[Call | None] = []
    if region.install_targets:
        wanted = install_association(owner, region.install_targets)
        calls.append(association_call(region.associations[wanted.name], wanted, tags))
    if stored is None or not stored.holds(config):
        calls.append(parameter_call(parameter_name(owner, platform), config, stored, owner, tags))
    configure_targets = region.configure_targets[platform]
    if configure_targets:
        version = delivered_version(stored, config)
        wanted = configure_association(owner, platform, version, configure_targets)
        calls.append(association_call(region.associations[wanted.name], wanted, tags))
    return tuple(call for call in calls if call is not None)


def config_problem(name: str, config: AgentConfig, stored: StoredConfig | None) -> str | None:
    if stored is None:
        return f"parameter {name} does not exist"
    if stored.holds(config):
        return None
    return (
        f"parameter {name} (version {stored.version}) differs from the rendered "
        f"configuration {config.content_hash}"
    )


def parameter_request(
    name: str, config: AgentConfig, stored: StoredConfig | None, owner: str, tags: Mapping[str, str]
) -> dict[str, Any]:
    """PutParameter: created tagged, or overwritten (a new version; AWS refuses tags then)."""
    request: dict[str, Any] = {
        "Name": name,
        "Value": config.canonical_json,
        "Type": "String",
        "Tier": PARAMETER_TIER,
        "Description": f"CloudWatch agent configuration {config.content_hash} "
        f"({config.platform}) of {owner}, kept by gdpr-operator",
    }
    if stored is None:
        return {**request, "Tags": tag_list(tags)}
    return {**request, "Overwrite": True}


def parameter_call(
    name: str, config: AgentConfig, stored: StoredConfig | None, owner: str, tags: Mapping[str, str]
) -> Call:
    """PutParameter; an overwrite only of a parameter found to be this owner's first."""
    request = parameter_request(name, config, stored, owner, tags)
    owned = ("Parameter", name) if stored is not None else None
    return Call("ssm", "put_parameter", request, once=True, owned=owned)


def association_problem(observed: AgentAssociation | None, wanted: AgentAssociation) -> str | None:
    name = wanted.name
    if observed is None:
        return f"State Manager association {name} does not exist"
    if observed.document != wanted.document:
        return f"association {name} runs {observed.document}, not {wanted.document}"
    if observed.parameters != wanted.parameters:
        return (
            f"association {name} has parameters {_show(observed.parameters)}, "
            f"not {_show(wanted.parameters)}"
        )
    if observed.targets != wanted.targets:
        return (
            f"association {name} targets {_show(dict(observed.targets))}, "
            f"not {_show(dict(wanted.targets))}"
        )
    return None


def configure_problem(
    owner: str,
    platform: Platform,
    config: AgentConfig,
    *,
    stored: StoredConfig | None,
    observed: AgentAssociation | None,
    wanted_targets: Targets,
) -> str | None:
    """What the platform's configure association lacks. A parameter that changes makes a new
    version, which the association must then apply once."""
    if stored is not None and stored.holds(config):
        return association_problem(
            observed, configure_association(owner, platform, stored.version, wanted_targets)
        )
    if observed is None:
        return f"State Manager association {configure_name(owner, platform)} does not exist"
    return (
        f"association {observed.name} must apply the new configuration {config.content_hash} once"
    )


def association_call(
    observed: AgentAssociation | None, wanted: AgentAssociation, tags: Mapping[str, str]
) -> Call | None:
    """The call that makes `observed` what is `wanted`, if any: created tagged, or updated
    (every field: UpdateAssociation resets the ones it omits) once found this owner's."""
    if observed is None:
        params = {**wanted.request(), "Tags": tag_list(tags)}
        return Call("ssm", "create_association", params, once=True)
    if association_problem(observed, wanted) is None:
        return None
    params = {
        **wanted.request(),
        "AssociationId": observed.id,
        "AssociationVersion": observed.version,
    }
    owned = ("Association", observed.id)
    return Call("ssm", "update_association", params, once=True, owned=owned)


def unconfigured_problem(platform: Platform) -> str:
    return f"the instance runs {platform}, and the spec's presets render nothing for it"


def run_problem(instance_id: str, delivery: Delivery) -> str | None:
    """Why the agent is not (yet) installed and configured on the instance, if it is not."""
    if delivery.targeted is not None and instance_id not in delivery.targeted:
        return (
            f"not targeted: an association targets at most {MAX_TARGET_IDS} instance ids; "
            "select one platform's instances by one tag to target them by tag"
        )
    for what, run in (
        ("agent not installed", delivery.install),
        ("configuration not applied", delivery.configure),
    ):
        status = run.statuses.get(instance_id)
        if status is None:
            return (
                f"{what}: association {run.name} has not run on it (it runs once SSM "
                "manages the instance: see ssm.managed_instance)"
            )
        if status != SUCCESS:
            return f"{what}: association {run.name} is {status} on it"
    return None


def targeted(*all_targets: Targets | None) -> frozenset[str] | None:
    """The instance ids that every association targeting by id targets; None if none does."""
    by_id = [
        frozenset(dict(t)["InstanceIds"]) for t in all_targets if t and "InstanceIds" in dict(t)
    ]
    return frozenset.intersection(*by_id) if by_id else None


def joined(*problems: str | None) -> str | None:
    return "; ".join(problem for problem in problems if problem) or None


def _show(values: Mapping[str, tuple[str, ...]]) -> str:
    return (
        ", ".join(f"{key}={','.join(value)}" for key, value in sorted(values.items())) or "nothing"
    )
