"""Reads of moto's own state that the extensions derive their answers from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends

from ._profile import REALISM

SSM_CORE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
"""What lets the SSM agent register: an instance reports to SSM when its role carries this."""
SSM_AGENT_VERSION = "3.3.0.0"
"""The version the sandbox's simulated SSM agents report."""


@dataclass(frozen=True, slots=True)
class ManagedInstance:
    """An EC2 instance as Systems Manager sees it."""

    instance_id: str
    online: bool
    platform_type: str
    platform_name: str
    ip_address: str
    computer_name: str
    registered: datetime
    tags: dict[str, str]

    @property
    def ping_status(self) -> str:
        return "Online" if self.online else "ConnectionLost"


def managed_instances(account: str, region: str) -> list[ManagedInstance]:
    """Instances whose profile's role carries AmazonSSMManagedInstanceCore, so their agent has
    registered; online while running. Terminated instances are forgotten, as SSM does. Under
    the realistic profile an instance registers `Propagation.ssm_registration` seconds after
    it was first found so entitled (by a read, or an agent tick)."""
    backend = ec2_backends[account][region]
    propagation = REALISM.propagation
    managed = []
    image_names: dict[str, str] = {}  # instances share images; each lookup scans them all
    for instance in backend.all_instances():
        if instance.state == "terminated":
            continue
        if SSM_CORE_POLICY_ARN not in instance_role_policies(account, region, instance.id):
            continue
        if propagation is not None and (
            REALISM.age("ssm-registration", account, instance.id) < propagation.ssm_registration
        ):
            continue  # its agent has yet to register (realistic profile)
        windows = instance.platform == "windows"
        managed.append(
            ManagedInstance(
                instance_id=instance.id,
                online=instance.state == "running",
                platform_type="Windows" if windows else "Linux",
                platform_name=_cached(
                    image_names, instance.image_id, lambda image_id: _image_name(backend, image_id)
                ),
                ip_address=instance.private_ip or "",
                computer_name=instance.private_dns_name,
                registered=_as_datetime(instance.launch_time),
                # moto's instance.get_tags() scans every tag of the region: read the index.
                tags=dict(backend.tags.get(instance.id, {})),
            )
        )
    return managed


def instance_role_policies(account: str, region: str, instance_id: str) -> set[str]:
    """ARNs of the managed policies attached to the role(s) of the instance's profile."""
    association = ec2_backends[account][region].iam_instance_profile_associations.get(instance_id)
    if association is None:
        return set()
    iam = iam_backends[account]["aws"]
    profile = next(
        (
            p
            for p in iam.instance_profiles.values()
            if p.arn == association.iam_instance_profile.arn
        ),
        None,
    )
    if profile is None:  # deleted since it was attached
        return set()
    return {arn for role in profile.roles for arn in role.managed_policies}


def _cached(cache: dict[str, str], key: str, compute: Callable[[str], str]) -> str:
    if key not in cache:
        cache[key] = compute(key)
    return cache[key]


def _image_name(backend: Any, image_id: str) -> str:
    images = backend.describe_images(filters={"image-id": [image_id]})
    return str(images[0].name) if images else ""


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
