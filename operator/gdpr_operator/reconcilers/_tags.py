"""Tags on what the operator creates: how it knows what is its own to change, and what is
its own to remove on Delete."""

from __future__ import annotations

from collections.abc import Mapping

from gdpr_operator.model.grants import Condition

MANAGED_BY_KEY = "gdpr-operator:managed-by"
MANAGED_BY_VALUE = "gdpr-operator"
OWNER_KEY = "gdpr-operator:owner"
IAM_PATH = "/gdpr-operator/"
"""The IAM path of every role and instance profile the operator creates: with its tag, what
makes them its own (and what its IAM policy lets it change)."""

TAGGED_ON_CREATE: Condition = {
    "StringEquals": {f"aws:RequestTag/{MANAGED_BY_KEY}": MANAGED_BY_VALUE},
    "ForAllValues:StringEquals": {"aws:TagKeys": (MANAGED_BY_KEY, OWNER_KEY)},
}
"""IAM condition: the request creates the resource with the operator's tags, and only them."""
TAGGED_AS_OWN: Condition = {"StringEquals": {f"aws:ResourceTag/{MANAGED_BY_KEY}": MANAGED_BY_VALUE}}
"""IAM condition: the resource carries the operator's tag."""


def ownership_tags(owner: str) -> dict[str, str]:
    """Tags for a resource created on behalf of `owner` ("namespace/name")."""
    return {MANAGED_BY_KEY: MANAGED_BY_VALUE, OWNER_KEY: owner}


def managed_by_operator(tags: Mapping[str, str]) -> bool:
    """Whether the resource is the operator's (it created it, or its owner handed it over)."""
    return tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE


def iam_owned(path: str, tags: Mapping[str, str]) -> bool:
    """Whether an IAM role or instance profile is the operator's: under its path, tagged."""
    return path == IAM_PATH and managed_by_operator(tags)


def created_by(tags: Mapping[str, str], owner: str) -> bool:
    """Whether the operator created the resource for `owner`."""
    return managed_by_operator(tags) and tags.get(OWNER_KEY) == owner
