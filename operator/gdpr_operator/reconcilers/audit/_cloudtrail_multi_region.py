"""cloudtrail.multi_region, per account: is a multi-Region trail logging read and write
management events?

A trail whose basic event selectors include management events logs them as their
ReadWriteType says; an advanced selector does when it selects eventCategory Management for
every event source (excluding some, such as KMS, is allowed), read-only, write-only or both
as its readOnly field says. Selectors of several kinds add up.

Read once per account (trails are the account's): DescribeTrails in the pass's first region
lists every multi-Region trail, its shadow included; each is then read in its home Region,
where its status and selectors are kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict, first_compliant
from gdpr_operator.reconcilers.audit._event_selectors import (
    BOTH,
    BY_READ_WRITE_TYPE,
    read_only_kinds,
)

CHECK = CheckInfo(
    id="cloudtrail.multi_region",
    summary="A multi-Region CloudTrail trail is logging the account's read and write "
    "management events.",
    articles=("5(2)", "30", "32(1)(d)", "33"),
    scope=Scope.ACCOUNT,
    # DescribeRegions: the engine's, which resolves the region to ask in when the spec says
    # every enabled region.
    iam_actions=frozenset(
        {
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
            "ec2:DescribeRegions",
        }
    ),
)


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


@dataclass(frozen=True, slots=True)
class Trails:
    """What the check reads: the multi-Region trails and how many others there are."""

    multi_region: Sequence[Trail]
    single_region: int


class CloudTrail(AuditComponent[Trails]):
    component = "CloudTrail"
    check = CHECK
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Trails:
        # The pass's regions, resolved by the engine: no DescribeRegions of its own.
        home = Target(target.access, context.regions[0])
        described = await _observe.listed_trails(context.aws, home)
        multi_region = [trail for trail in described if trail.get("IsMultiRegionTrail")]
        states = await asyncio.gather(
            *(_observe.trail_state(context.aws, target, trail) for trail in multi_region)
        )
        return Trails(
            [
                Trail.from_api(trail["TrailARN"], status, selectors)
                for trail, (status, selectors) in zip(multi_region, states, strict=True)
            ],
            len(described) - len(multi_region),
        )

    def verdicts(self, observed: Trails, spec: MonitoringSpec) -> Sequence[Verdict]:
        return [trail_verdict(observed.multi_region, observed.single_region)]
