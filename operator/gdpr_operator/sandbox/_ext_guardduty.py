"""GuardDuty findings, which moto 5.2 does not keep: a store, and the APIs that read it;
and CreateDetector's rule of one detector per account and region.

- ListFindings, GetFindings, GetFindingsStatistics (COUNT_BY_SEVERITY and GroupBy SEVERITY /
  FINDING_TYPE / RESOURCE / ACCOUNT), with FindingCriteria on id, type, severity, region,
  accountId, service.archived, updatedAt, resource.resourceType and
  resource.instanceDetails.instanceId: so the operator can count findings by severity.
- Seeding: `FindingStore.add` (reached through POST /_gdpr/guardduty/findings, see
  `_control`), since real GuardDuty makes findings from traffic the sandbox does not have.
  Findings belong to a detector that must exist in moto; they go when it is deleted.
- CreateDetector where a detector exists is refused with BadRequestException, as AWS does
  (moto would add a second one): a write retried after a lost answer cannot duplicate it.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.guardduty.models import guardduty_backends
from moto.guardduty.responses import GuardDutyResponse

from ._errors import ApiError
from ._paging import page

_SCHEMA_VERSION = "2.0"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    detector_id: str
    account: str
    region: str
    type: str
    severity: float
    created: datetime
    resource_type: str
    instance_id: str | None
    archived: bool = False

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:guardduty:{self.region}:{self.account}:detector/"
            f"{self.detector_id}/finding/{self.id}"
        )

    def attributes(self) -> dict[str, Any]:
        """The values FindingCriteria fields name."""
        return {
            "id": self.id,
            "type": self.type,
            "severity": self.severity,
            "region": self.region,
            "accountId": self.account,
            "service.archived": self.archived,
            "updatedAt": int(self.created.timestamp() * 1000),
            "resource.resourceType": self.resource_type,
            "resource.instanceDetails.instanceId": self.instance_id,
        }

    def to_api(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"ResourceType": self.resource_type}
        if self.instance_id:
            resource["InstanceDetails"] = {"InstanceId": self.instance_id}
        stamp = self.created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {
            "AccountId": self.account,
            "Arn": self.arn,
            "CreatedAt": stamp,
            "Id": self.id,
            "Partition": "aws",
            "Region": self.region,
            "Resource": resource,
            "SchemaVersion": _SCHEMA_VERSION,
            "Severity": self.severity,
            "Type": self.type,
            "UpdatedAt": stamp,
            "Title": self.type,
            "Description": self.type,
            "Service": {
                "Archived": self.archived,
                "Count": 1,
                "DetectorId": self.detector_id,
                "ServiceName": "guardduty",
                "EventFirstSeen": stamp,
                "EventLastSeen": stamp,
            },
        }


class FindingStore:
    """Seeded findings per detector. Thread-safe."""

    def __init__(self) -> None:
        self._by_detector: dict[str, list[Finding]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(
        self,
        account: str,
        region: str,
        findings: list[dict[str, Any]],
        detector_id: str | None = None,
    ) -> list[str]:
        """Add findings ({type, severity, resourceType?, instanceId?}) to the detector (the
        region's only one when not named); returns their ids."""
        return [f.id for f in self.create(account, region, findings, detector_id)]

    def create(
        self,
        account: str,
        region: str,
        findings: list[dict[str, Any]],
        detector_id: str | None = None,
    ) -> list[Finding]:
        """As `add`, returning the findings added."""
        detector = _detector_id(account, region, detector_id)
        added = [
            Finding(
                id=uuid.uuid4().hex,
                detector_id=detector,
                account=account,
                region=region,
                type=str(f["type"]),
                severity=float(f["severity"]),
                created=datetime.now(UTC),
                resource_type=str(f.get("resourceType", "Instance")),
                instance_id=f.get("instanceId"),
            )
            for f in findings
        ]
        with self._lock:
            self._by_detector[detector].extend(added)
        return added

    def of(self, account: str, region: str, detector_id: str) -> list[Finding]:
        _detector_id(account, region, detector_id)  # still exists?
        with self._lock:
            return list(self._by_detector.get(detector_id, []))

    def reset(self) -> None:
        with self._lock:
            self._by_detector.clear()


FINDINGS = FindingStore()


def _detector_id(account: str, region: str, detector_id: str | None) -> str:
    detectors = guardduty_backends[account][region].detectors
    if detector_id is None and len(detectors) == 1:
        return str(next(iter(detectors)))
    if detector_id not in detectors:
        raise ApiError(
            "BadRequestException",
            "The request is rejected because the input detectorId is not owned by the "
            "current account.",
        )
    return detector_id


class GuardDutyExtensions(GuardDutyResponse):
    """The operations listed in the module docstring, on top of moto's GuardDuty."""

    OPERATIONS = frozenset(
        {"ListFindings", "GetFindings", "GetFindingsStatistics", "CreateDetector"}
    )

    def create_detector(self) -> str:
        if guardduty_backends[self.current_account][self.region].detectors:
            raise ApiError(
                "BadRequestException",
                "The request is rejected because a detector "
                "already exists for the current account.",
            )
        created: str = super().create_detector()
        return created

    def list_findings(self) -> ActionResult:
        findings = self._matching()
        sort = self._get_param("sortCriteria") or {}
        if sort.get("attributeName"):
            key = sort["attributeName"]
            findings.sort(
                key=lambda f: f.attributes().get(key) or 0, reverse=sort.get("orderBy") == "DESC"
            )
        items, token = page(
            findings,
            self._get_param("maxResults"),
            self._get_param("nextToken"),
            default=50,
            invalid_token_code="BadRequestException",
        )
        return ActionResult(
            {"FindingIds": [f.id for f in items], **({"NextToken": token} if token else {})}
        )

    def get_findings(self) -> ActionResult:
        wanted = set(self._get_param("findingIds") or [])
        return ActionResult({"Findings": [f.to_api() for f in self._findings() if f.id in wanted]})

    def get_findings_statistics(self) -> ActionResult:
        findings = self._matching()
        statistics: dict[str, Any] = {}
        if "COUNT_BY_SEVERITY" in (self._get_param("findingStatisticTypes") or []):
            counts: dict[str, int] = defaultdict(int)
            for finding in findings:
                counts[str(finding.severity)] += 1
            statistics["CountBySeverity"] = dict(counts)
        group_by = self._get_param("groupBy")
        if group_by:
            statistics.update(_grouped(findings, group_by, self._get_param("orderBy")))
        return ActionResult({"FindingStatistics": statistics})

    def _detector(self) -> str:
        return str(self.path.split("/detector/", 1)[1].split("/", 1)[0])

    def _findings(self) -> list[Finding]:
        return FINDINGS.of(self.current_account, self.region, self._detector())

    def _matching(self) -> list[Finding]:
        criterion = (self._get_param("findingCriteria") or {}).get("criterion") or {}
        return [
            f
            for f in self._findings()
            if all(
                _meets(f.attributes(), field_name, condition)
                for field_name, condition in criterion.items()
            )
        ]


_GROUPS: dict[str, tuple[str, Callable[[Finding], dict[str, Any]]]] = {
    "SEVERITY": ("GroupedBySeverity", lambda f: {"Severity": f.severity}),
    "FINDING_TYPE": ("GroupedByFindingType", lambda f: {"FindingType": f.type}),
    "ACCOUNT": ("GroupedByAccount", lambda f: {"AccountId": f.account}),
    "RESOURCE": (
        "GroupedByResource",
        lambda f: {
            "AccountId": f.account,
            "ResourceId": f.instance_id or "",
            "ResourceType": f.resource_type,
        },
    ),
}


def _grouped(findings: list[Finding], group_by: str, order_by: str | None) -> dict[str, Any]:
    if group_by not in _GROUPS:
        raise ApiError("BadRequestException", f"groupBy {group_by} is not supported.")
    member, key_of = _GROUPS[group_by]
    groups: dict[tuple[Any, ...], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[tuple(key_of(finding).items())].append(finding)
    rows = [
        {
            **dict(key),
            "TotalFindings": len(members),
            "LastGeneratedAt": max(f.created for f in members),
        }
        for key, members in groups.items()
    ]
    rows.sort(key=lambda row: row["TotalFindings"], reverse=order_by != "ASC")
    return {member: rows}


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda v, x: v > x,
    "gte": lambda v, x: v >= x,
    "lt": lambda v, x: v < x,
    "lte": lambda v, x: v <= x,
    "greaterThan": lambda v, x: v > x,
    "greaterThanOrEqual": lambda v, x: v >= x,
    "lessThan": lambda v, x: v < x,
    "lessThanOrEqual": lambda v, x: v <= x,
}


def _meets(attributes: dict[str, Any], field_name: str, condition: dict[str, Any]) -> bool:
    if field_name not in attributes:
        raise ApiError(
            "BadRequestException", f"The field {field_name} is not supported in the sandbox."
        )
    value = attributes[field_name]
    text = str(value).lower() if isinstance(value, bool) else str(value)
    for operator, operand in condition.items():
        if operator in ("eq", "equals") and text not in operand:
            return False
        if operator in ("neq", "notEquals") and text in operand:
            return False
        if operator in _COMPARISONS and (
            value is None or not _COMPARISONS[operator](float(value), float(operand))
        ):
            return False
    return True
