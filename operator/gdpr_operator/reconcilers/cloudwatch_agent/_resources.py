"""What the operator keeps in Systems Manager for one owner, named and shaped. Pure.

- One parameter per platform, `AmazonCloudWatch-gdpr_<namespace>_<name>_<Platform>`: the
  agent's managed policy (CloudWatchAgentServerPolicy) may read only parameters whose names
  start with `AmazonCloudWatch-`. A changed configuration is a new version of it.
- One install association (AWS-ConfigureAWSPackage works on both platforms) and one configure
  association per platform (AmazonCloudWatch-ManageAgent), found by their AssociationName.
  The configure association points at `<parameter>:<version>`, so it applies exactly that
  version: an unchanged configuration never changes the association, so it never runs again
  on an instance that already has it; a new version updates it once.

Targets. State Manager cannot target by platform, and the operator does not tag customer
instances. An association is therefore targeted by the selector's tag when that alone is
exact: one selector tag, and (for a configure association) a spec that renders one platform
only; State Manager then covers new instances without waiting for a resync. Otherwise (two
or more selector tags, or presets for both platforms) it targets the instance ids selected
at the last pass, up to State Manager's 50 per association: new instances wait for the next
resync, and a changed fleet updates the association, which re-applies the configuration
(the same version) to that platform's instances.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import AgentConfig

PARAMETER_PREFIX = "AmazonCloudWatch-"
INSTALL_DOCUMENT = "AWS-ConfigureAWSPackage"
CONFIGURE_DOCUMENT = "AmazonCloudWatch-ManageAgent"
MAX_TARGET_IDS = 50
"""State Manager's limit of values in one target."""
_NAME_LIMIT = 128  # AssociationName; parameter names allow far more
_INVALID = re.compile(r"[^A-Za-z0-9_.-]")
_HASH_LENGTH = 16

Targets = tuple[tuple[str, tuple[str, ...]], ...]
"""State Manager targets, normalised: (key, sorted values), sorted."""


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


def delivered_version(stored: StoredConfig | None, config: AgentConfig) -> int:
    """The parameter version that holds `config` once it is delivered: the stored one when it
    holds it already, else the one PutParameter makes (an overwrite adds one; 1 when new)."""
    if stored is None:
        return 1
    return stored.version if stored.holds(config) else stored.version + 1


@dataclass(frozen=True, slots=True)
class AgentAssociation:
    """A State Manager association, observed (DescribeAssociation) or wanted."""

    name: str
    """AssociationName: how the operator finds its own."""
    document: str
    parameters: Mapping[str, tuple[str, ...]]
    targets: Targets
    id: str = ""
    version: str = ""

    @classmethod
    def from_api(cls, reply: Mapping[str, Any]) -> AgentAssociation:
        return cls(
            name=reply.get("AssociationName", ""),
            document=reply["Name"],
            parameters={key: tuple(values) for key, values in reply.get("Parameters", {}).items()},
            targets=normal_targets(reply.get("Targets", [])),
            id=reply["AssociationId"],
            version=str(reply.get("AssociationVersion", "")),
        )

    def request(self) -> dict[str, Any]:
        """Every field the operator sets: UpdateAssociation resets the ones it omits."""
        return {
            "Name": self.document,
            "AssociationName": self.name,
            "Parameters": {key: list(values) for key, values in self.parameters.items()},
            "Targets": [{"Key": key, "Values": list(values)} for key, values in self.targets],
        }


def owner_name(owner: str) -> str:
    """`owner` ("namespace/name") as SSM names allow: "_" cannot occur in Kubernetes names, so
    distinct owners keep distinct names."""
    return "gdpr_" + _INVALID.sub("-", owner.replace("/", "_"))


def parameter_name(owner: str, platform: Platform) -> str:
    return f"{PARAMETER_PREFIX}{owner_name(owner)}_{platform}"


def install_name(owner: str) -> str:
    return _bounded(f"{owner_name(owner)}_install")


def configure_name(owner: str, platform: Platform) -> str:
    return _bounded(f"{owner_name(owner)}_{platform}_configure")


def _bounded(name: str) -> str:
    """`name`, shortened with a hash of itself when longer than an AssociationName may be."""
    if len(name) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{name[: _NAME_LIMIT - _HASH_LENGTH - 1]}-{digest}"


def normal_targets(targets: Sequence[Mapping[str, Any]]) -> Targets:
    return tuple(sorted((t["Key"], tuple(sorted(t.get("Values", [])))) for t in targets))


def tag_targeted(selector: Mapping[str, str], *, platforms: int = 1) -> bool:
    """Whether the selector's tag alone targets exactly the right instances (module doc).
    `platforms`: how many the spec renders, for a configure association."""
    return len(selector) == 1 and platforms == 1


def targets(
    selector: Mapping[str, str], instance_ids: Sequence[str], tagged: bool
) -> Targets | None:
    """The association's targets; None when it would target nothing (no instance ids)."""
    if tagged:
        return tuple((f"tag:{key}", (value,)) for key, value in sorted(selector.items()))
    if not instance_ids:
        return None
    return (("InstanceIds", tuple(sorted(instance_ids)[:MAX_TARGET_IDS])),)


def install_association(owner: str, wanted_targets: Targets) -> AgentAssociation:
    return AgentAssociation(
        name=install_name(owner),
        document=INSTALL_DOCUMENT,
        targets=wanted_targets,
        parameters={"action": ("Install",), "name": ("AmazonCloudWatchAgent",)},
    )


def configure_association(
    owner: str, platform: Platform, version: int, wanted_targets: Targets
) -> AgentAssociation:
    """Applies version `version` of the platform's parameter, and restarts the agent."""
    return AgentAssociation(
        name=configure_name(owner, platform),
        document=CONFIGURE_DOCUMENT,
        targets=wanted_targets,
        parameters={
            "action": ("configure",),
            "mode": ("ec2",),
            "optionalConfigurationSource": ("ssm",),
            "optionalConfigurationLocation": (f"{parameter_name(owner, platform)}:{version}",),
            "optionalRestart": ("yes",),
        },
    )
