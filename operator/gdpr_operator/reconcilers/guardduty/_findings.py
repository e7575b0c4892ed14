"""GuardDuty findings by severity band: the documented bands of its scores. Pure."""

from __future__ import annotations

import bisect
from collections.abc import Mapping

from gdpr_operator.model import SEVERITIES

# GuardDuty's documented bands: low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, critical 9.0+.
_FLOORS = (0.0, 4.0, 7.0, 9.0)
"""The lowest score of each of SEVERITIES."""

UNARCHIVED = {"Criterion": {"service.archived": {"Eq": ["false"]}}}


def severity_band(score: float) -> str:
    return SEVERITIES[max(bisect.bisect_right(_FLOORS, score) - 1, 0)]


def counts_by_band(count_by_severity: Mapping[str, int]) -> dict[str, int]:
    """Every band, zeros included, from GuardDuty's score -> count map."""
    bands = dict.fromkeys(SEVERITIES, 0)
    for score, count in count_by_severity.items():
        bands[severity_band(float(score))] += count
    return bands
