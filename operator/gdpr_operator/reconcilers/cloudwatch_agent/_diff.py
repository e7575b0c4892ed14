"""The CloudWatch agent: what is wrong with a platform's parameter and associations, and with
an instance's agent; and the calls that repair them. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gdpr_operator.reconcilers._tags import tag_list
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import AgentConfig
from gdpr_operator.reconcilers.cloudwatch_agent._ssm import (
    MAX_TARGET_IDS,
    Association,
    Targets,
    configure_association,
    configure_name,
)

SUCCESS = "Success"
PARAMETER_TIER = "Intelligent-Tiering"
"""Standard while the configuration fits in 4 KB, Advanced (up to 8 KB) when it does not."""


@dataclass(frozen=True, slots=True)
class StoredConfig:
    """A parameter as GetParameters returns it."""

    name: str
    value: str
    version: int

    @classmethod
    def from_api(cls, reply: Mapping[str, Any]) -> StoredConfig:
        return cls(reply["Name"], reply.get("Value", ""), int(reply.get("Version", 0)))

    def holds(self, config: AgentConfig) -> bool:
        return self.value == config.canonical_json


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


def association_problem(observed: Association | None, wanted: Association) -> str | None:
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
    observed: Association | None,
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


def association_request(
    observed: Association | None, wanted: Association, tags: Mapping[str, str]
) -> tuple[str, dict[str, Any]] | None:
    """The call (operation, parameters) that makes `observed` what is `wanted`, if any."""
    if observed is None:
        return "create_association", {
            **wanted.request(),
            "Tags": tag_list(tags),
        }
    if association_problem(observed, wanted) is None:
        return None
    return "update_association", {
        **wanted.request(),
        "AssociationId": observed.id,
        "AssociationVersion": observed.version,
    }


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


def _show(values: Mapping[str, tuple[str, ...]]) -> str:
    return (
        ", ".join(f"{key}={','.join(value)}" for key, value in sorted(values.items())) or "nothing"
    )
