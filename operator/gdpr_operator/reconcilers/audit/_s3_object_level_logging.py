"""s3.object_level_logging, per bucket: does a logging trail record its data events?

A trail that covers the bucket's Region (its own, or every Region) records the
bucket's object-level events when one of its selectors takes in the whole bucket:

- a basic event selector whose DataResources of type AWS::S3::Object name every bucket
  (`arn:aws:s3`, `arn:aws:s3:::`) or the bucket (`arn:aws:s3:::NAME/`), read or write events
  as its ReadWriteType says;
- an advanced selector on eventCategory Data and resources.type AWS::S3::Object whose
  resources.ARN condition, if any, takes in the whole bucket (StartsWith a prefix of
  `arn:aws:s3:::NAME/`, no NotStartsWith or NotEquals leaving part of it out), read or
  write events as its readOnly field says.

A selector narrowed to some objects (a key prefix, an exact object, an eventName, ...)
covers part of a bucket, which does not count. Read and write events are both wanted:
reading personal data is processing too.

Read, in the bucket's region: the region's buckets (those carrying the spec's tags, read
with GetBucketTagging, when it names some), and the trails covering the region
(DescribeTrails there, shadows included), each read in its home Region.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._event_selectors import (
    BOTH,
    BY_READ_WRITE_TYPE,
    READ,
    WRITE,
    read_only_kinds,
)

CHECK = CheckInfo(
    id="s3.object_level_logging",
    summary="A logging CloudTrail trail records the read and write data events of each bucket "
    "of the region in scope (every bucket, or those carrying the spec's tags).",
    articles=("5(2)", "30", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per bucket
    # GetBucketTagging only when the spec selects buckets by tag.
    iam_actions=frozenset(
        {
            "s3:ListAllMyBuckets",
            "s3:GetBucketTagging",
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
        }
    ),
)

S3_OBJECT = "AWS::S3::Object"
_S3_ARN = re.compile(r"^arn:[a-z-]+:s3(:::)?")
_ADVANCED_FIELDS = frozenset({"eventCategory", "resources.type", "resources.ARN", "readOnly"})
"""The fields an advanced selector may use and still take in whole buckets."""


@dataclass(frozen=True, slots=True)
class DataTrail:
    """A trail covering the Region, as GetTrailStatus and GetEventSelectors describe it."""

    name: str
    logging: bool
    basic: Sequence[Mapping[str, Any]]
    advanced: Sequence[Mapping[str, Any]]

    @classmethod
    def from_api(
        cls, name: str, status: Mapping[str, Any], selectors: Mapping[str, Any]
    ) -> DataTrail:
        return cls(
            name=name,
            logging=bool(status.get("IsLogging")),
            basic=selectors.get("EventSelectors") or [],
            advanced=selectors.get("AdvancedEventSelectors") or [],
        )

    def data_events(self, bucket: str) -> frozenset[str]:
        """Which of the bucket's data events (READ, WRITE) the trail's selectors select."""
        selected: set[str] = set()
        for selector in self.basic:
            if any(
                _basic_covers(resource, bucket) for resource in selector.get("DataResources", [])
            ):
                selected |= BY_READ_WRITE_TYPE.get(selector.get("ReadWriteType", "All"), set())
        for selector in self.advanced:
            selected |= _advanced_events(selector.get("FieldSelectors", []), bucket)
        return frozenset(selected)


def _bucket_path(value: str) -> str | None:
    """What follows `arn:PARTITION:s3:::` in an S3 ARN ("" for every bucket); None if not one."""
    matched = _S3_ARN.match(value)
    return None if matched is None else value[matched.end() :]


def _basic_covers(resource: Mapping[str, Any], bucket: str) -> bool:
    if resource.get("Type") != S3_OBJECT:
        return False
    return any(_bucket_path(value) in ("", f"{bucket}/") for value in resource.get("Values", []))


def _advanced_events(field_selectors: Sequence[Mapping[str, Any]], bucket: str) -> frozenset[str]:
    fields = {selector["Field"]: selector for selector in field_selectors}
    if (
        fields.get("eventCategory", {}).get("Equals") != ["Data"]
        or fields.get("resources.type", {}).get("Equals") != [S3_OBJECT]
        or set(fields) - _ADVANCED_FIELDS
        or not _arn_condition_covers(fields.get("resources.ARN", {}), f"{bucket}/")
    ):
        return frozenset()
    return read_only_kinds(fields.get("readOnly", {}))


def _arn_condition_covers(condition: Mapping[str, Any], bucket_path: str) -> bool:
    """Whether a resources.ARN field selector takes in every object under `bucket_path`."""
    if set(condition) - {"Field", "StartsWith", "NotStartsWith", "NotEquals"}:
        return False  # Equals names objects; EndsWith and NotEndsWith cut across buckets
    paths = {
        kind: [_bucket_path(value) for value in condition.get(kind, [])]
        for kind in ("StartsWith", "NotStartsWith", "NotEquals")
    }
    starts = paths["StartsWith"]
    if starts and not any(path is not None and bucket_path.startswith(path) for path in starts):
        return False
    excluded = paths["NotStartsWith"] + paths["NotEquals"]
    return not any(
        path is not None and (bucket_path.startswith(path) or path.startswith(bucket_path))
        for path in excluded
    )


def bucket_verdict(bucket: str, trails: Sequence[DataTrail]) -> Verdict:
    """The bucket's verdict from the trails covering its Region."""
    recording = [trail for trail in trails if trail.logging]
    events = {trail.name: trail.data_events(bucket) for trail in recording}
    recorded = frozenset[str]().union(*events.values())
    if recorded == BOTH:
        names = ", ".join(sorted(name for name, kinds in events.items() if kinds))
        return Verdict(bucket, None, f"data events recorded by trail {names}")
    if recorded:
        missing = WRITE if READ in recorded else READ
        return Verdict(bucket, f"no trail records its {missing} data events")
    idle = sorted(t.name for t in trails if not t.logging and t.data_events(bucket))
    if idle:
        return Verdict(
            bucket, f"trail {', '.join(idle)} selects its data events but is not logging"
        )
    return Verdict(bucket, "no trail records its data events")


def bucket_verdicts(buckets: Iterable[str], trails: Sequence[DataTrail]) -> list[Verdict]:
    """One verdict per bucket in scope; the resource is the bucket's name."""
    return [bucket_verdict(bucket, trails) for bucket in sorted(buckets)]


def selected(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Whether a bucket's tags carry every wanted key with its value ({} wants every bucket)."""
    return all(tags.get(key) == value for key, value in wanted.items())


@dataclass(frozen=True, slots=True)
class DataEvents:
    """What the check reads: the region's buckets and the trails covering the region."""

    buckets: Mapping[str, Mapping[str, str] | None]
    """Each bucket -> its tags, read only when the spec selects buckets by tag (else None)."""
    trails: Sequence[DataTrail]


def in_scope(
    buckets: Mapping[str, Mapping[str, str] | None], wanted: Mapping[str, str]
) -> list[str]:
    """The buckets the spec's tags select (every bucket for none)."""
    return [
        bucket for bucket, tags in buckets.items() if not wanted or selected(tags or {}, wanted)
    ]


class S3ObjectLevelLogging(AuditComponent[DataEvents]):
    component = "S3ObjectLevelLogging"
    check = CHECK

    async def observe(self, context: Context, target: Target) -> DataEvents:
        buckets, listed = await asyncio.gather(
            _observe.region_buckets(context.aws, target),
            _observe.listed_trails(context.aws, target),
        )
        tags: Sequence[Mapping[str, str] | None] = [None] * len(buckets)
        if context.spec.object_level_logging_tags:
            tags = await asyncio.gather(
                *(_observe.bucket_tags(context.aws, target, bucket) for bucket in buckets)
            )
        states = await asyncio.gather(
            *(_observe.trail_state(context.aws, target, trail) for trail in listed)
        )
        return DataEvents(
            dict(zip(buckets, tags, strict=True)),
            [
                DataTrail.from_api(trail["Name"], status, selectors)
                for trail, (status, selectors) in zip(listed, states, strict=True)
            ],
        )

    def verdicts(self, observed: DataEvents, spec: MonitoringSpec) -> Sequence[Verdict]:
        return bucket_verdicts(
            in_scope(observed.buckets, spec.object_level_logging_tags), observed.trails
        )
