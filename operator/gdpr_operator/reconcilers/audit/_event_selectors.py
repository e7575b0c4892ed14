"""CloudTrail event selectors: which of read and write events a selector takes in. Pure.

Shared by the checks on management events (cloudtrail.multi_region) and on S3 data events
(s3.object_level_logging).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
BY_READ_WRITE_TYPE = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
"""What a basic event selector's ReadWriteType selects."""
_BY_READ_ONLY = {"true": READ, "false": WRITE}


def read_only_kinds(read_only: Mapping[str, Any]) -> frozenset[str]:
    """What an advanced selector's readOnly field selector selects: READ, WRITE or both."""
    wanted = {value.lower() for value in read_only.get("Equals", [])}
    excluded = {value.lower() for value in read_only.get("NotEquals", [])}
    return frozenset(
        kind
        for value, kind in _BY_READ_ONLY.items()
        if (not wanted or value in wanted) and value not in excluded
    )
