"""CloudTrail, per account: is a multi-Region trail logging read and write management events?

Pure. A trail whose basic event selectors include management events logs them as their
ReadWriteType says; an advanced selector does when it selects eventCategory Management for
every event source (excluding some, such as KMS, is allowed), read-only, write-only or both
as its readOnly field says. Selectors of several kinds add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.reconcilers.audit._component import Verdict, first_compliant

READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
BY_READ_WRITE_TYPE = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
"""What a basic event selector's ReadWriteType selects."""
_BY_READ_ONLY = {"true": READ, "false": WRITE}


@dataclass(frozen=True, slots=True)
class Trail:
    """A multi-Region trail, as GetTrailStatus and GetEventSelectors describe it."""

    arn: str
    logging: bool
    management: frozenset[str]
    """Which management events it logs: READ, WRITE, both or neither."""

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @classmethod
    def from_api(cls, arn: str, status: Mapping[str, Any], selectors: Mapping[str, Any]) -> Trail:
        return cls(
            arn=arn,
            logging=bool(status.get("IsLogging")),
            management=management_events(
                selectors.get("EventSelectors") or [], selectors.get("AdvancedEventSelectors") or []
            ),
        )


def management_events(
    basic: Sequence[Mapping[str, Any]], advanced: Sequence[Mapping[str, Any]]
) -> frozenset[str]:
    """The management events (READ, WRITE) a trail's event selectors log."""
    logged: set[str] = set()
    for selector in basic:
        if selector.get("IncludeManagementEvents", True):
            logged |= BY_READ_WRITE_TYPE.get(selector.get("ReadWriteType", "All"), frozenset())
    for selector in advanced:
        logged |= _advanced(selector.get("FieldSelectors", []))
    return frozenset(logged)


def _advanced(field_selectors: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    fields = {selector["Field"]: selector for selector in field_selectors}
    if fields.get("eventCategory", {}).get("Equals") != ["Management"]:
        return frozenset()
    source = fields.get("eventSource", {})
    if source.get("Equals") or source.get("StartsWith"):
        return frozenset()  # some services' management events only
    return read_only_kinds(fields.get("readOnly", {}))


def read_only_kinds(read_only: Mapping[str, Any]) -> frozenset[str]:
    """What an advanced selector's readOnly field selector selects: READ, WRITE or both."""
    wanted = {value.lower() for value in read_only.get("Equals", [])}
    excluded = {value.lower() for value in read_only.get("NotEquals", [])}
    return frozenset(
        kind
        for value, kind in _BY_READ_ONLY.items()
        if (not wanted or value in wanted) and value not in excluded
    )


def trail_problem(trail: Trail) -> str | None:
    wrong = []
    if not trail.logging:
        wrong.append("is not logging")
    missing = BOTH - trail.management
    if missing == BOTH:
        wrong.append("logs no management events")
    elif missing:
        wrong.append(f"does not log {next(iter(missing))} management events")
    return f"trail {trail.name} {' and '.join(wrong)}" if wrong else None


def trail_verdict(trails: Sequence[Trail], single_region_trails: int) -> Verdict:
    """The account's verdict from its multi-Region trails; the resource is the trail's ARN."""
    if not trails:
        only = (
            f" ({single_region_trails} single-Region trail(s), which cover one Region each)"
            if single_region_trails
            else ""
        )
        return Verdict("", f"no multi-Region trail{only}")
    return first_compliant([Verdict(trail.arn, trail_problem(trail)) for trail in trails])
