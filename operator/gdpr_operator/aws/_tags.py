"""Tags as AWS APIs take and return them: a list of {"Key": ..., "Value": ...}."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """`tags` as most AWS APIs take them: [{"Key": ..., "Value": ...}], sorted by key."""
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_map(tags: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """[{"Key": ..., "Value": ...}], as AWS replies carry tags, as a mapping."""
    return {tag["Key"]: tag["Value"] for tag in tags}
