"""Which regions a target list covers: an explicit list, or every region enabled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gdpr_operator.model import ALL_REGIONS

ENABLED_OPT_IN_STATUSES = ("opt-in-not-required", "opted-in")

DESCRIBE_ENABLED_REGIONS: dict[str, Any] = {
    "AllRegions": True,
    "Filters": [{"Name": "opt-in-status", "Values": list(ENABLED_OPT_IN_STATUSES)}],
}
"""EC2 DescribeRegions parameters that list the regions enabled for the account."""


def wants_all_regions(requested: Sequence[str]) -> bool:
    return ALL_REGIONS in requested


def enabled_regions(reply: dict[str, Any]) -> list[str]:
    """Region names from a DescribeRegions reply; filtered again, as not every endpoint
    (moto, some partitions) applies the opt-in-status filter."""
    return sorted(
        region["RegionName"]
        for region in reply.get("Regions", [])
        if region.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN_STATUSES
    )
