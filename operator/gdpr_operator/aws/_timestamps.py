"""Timestamps in AWS answers, parsed as botocore parses them, faster.

botocore hands every timestamp that is not a number to dateutil's general parser. EC2's
answers carry several per instance (launch, attachments, ...) in ISO 8601 with an offset,
which the standard library parses a hundred times faster: dateutil took about a tenth of an
audit's CPU. Anything else goes to botocore's parser, so every result is the one botocore
would give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.utils import parse_timestamp


def fast_parse_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        # Without an offset, botocore's parser decides the zone: leave it to it.
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    parsed_by_botocore: dt.datetime = parse_timestamp(value)
    return parsed_by_botocore
