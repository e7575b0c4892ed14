"""Tags on what the operator creates: how Delete knows what is its own to remove."""

from __future__ import annotations

from collections.abc import Mapping

MANAGED_BY_KEY = "gdpr-operator:managed-by"
MANAGED_BY_VALUE = "gdpr-operator"
OWNER_KEY = "gdpr-operator:owner"


def ownership_tags(owner: str) -> dict[str, str]:
    """Tags for a resource created on behalf of `owner` ("namespace/name")."""
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, OWNER_KEY: owner}


def created_by(tags: Mapping[str, str], owner: str) -> bool:
    """Whether the operator created the resource for `owner`."""
    return tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE and tags.get(OWNER_KEY) == owner
