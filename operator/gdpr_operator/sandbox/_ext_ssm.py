"""Systems Manager APIs that moto 5.2 lacks, derived from moto's EC2 and IAM state.

- DescribeInstanceInformation: which instances SSM manages (see `_estate.managed_instances`),
  so the operator can tell whether an instance's agent reports.
- State Manager (CreateAssociation, DescribeAssociation, ListAssociations, UpdateAssociation,
  DeleteAssociation, DescribeAssociationExecutions, DescribeAssociationExecutionTargets,
  DescribeInstanceAssociationsStatus; ListTagsForResource of an association, with the Tags
  it was created with): how
  the operator installs and configures the CloudWatch agent (AWS-ConfigureAWSPackage,
  AmazonCloudWatch-ManageAgent). An association applies to the managed instances its targets
  select (InstanceIds, tag:KEY, tag-key): Success on those online, Pending on the others.
  Each create/update records an execution over the instances targeted at that moment; its
  targets are those instances, each with the status it had then (Success when online).
- State Manager applies associations to new targets, as AWS does: an instance that comes
  online later (its profile's role gains AmazonSSMManagedInstanceCore, it is started, or it
  is launched with the targeted tags) gets a run of every association targeting it whose
  current version has not run there: `apply_associations` records one execution per
  association over those instances, each Success. An instance runs a version once: one whose
  latest run at the current version is Success or failed (the sandbox fails no run by itself:
  `record_failed_run` records one, through the control API; AWS retries it at the next
  scheduled run, which the sandbox does not model) is never run again at that version;
  Pending (it was not online) is what waits for it. It happens at each tick of the
  simulated agents (`_agent_sim`, before they ship), and before answering
  DescribeAssociation, ListAssociations, DescribeAssociationExecutions,
  DescribeAssociationExecutionTargets and DescribeInstanceAssociationsStatus, so what the
  operator reads is as of now, with the agents' loop off too.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import ec2_backends
from moto.ssm.exceptions import InvalidDocument
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

from ._errors import ApiError
from ._estate import SSM_AGENT_VERSION, ManagedInstance, managed_instances
from ._paging import page
from ._profile import REALISM

AWS_OWNED_DOCUMENTS = frozenset(
    {
        "AWS-ConfigureAWSPackage",
        "AmazonCloudWatch-ManageAgent",
        "AWS-RunShellScript",
        "AWS-RunPowerShellScript",
    }
)
"""AWS-owned documents, present in every region (moto ships none)."""
SUCCESS, PENDING, FAILED = "Success", "Pending", "Failed"


@dataclass(slots=True)
class Execution:
    execution_id: str
    version: int
    created: datetime
    status_by_instance: dict[str, str]

    @property
    def status(self) -> str:
        return (
            "Success"
            if all(s == "Success" for s in self.status_by_instance.values())
            else "Pending"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "executionId": self.execution_id,
            "version": self.version,
            "created": self.created.isoformat(),
            "statuses": dict(self.status_by_instance),
        }


@dataclass(slots=True)
class Association:
    association_id: str
    name: str
    document_version: str
    targets: list[dict[str, Any]]
    parameters: dict[str, list[str]]
    association_name: str | None
    schedule_expression: str | None
    created: datetime
    updated: datetime
    version: int = 1
    executions: list[Execution] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)

    def selects(self, instance: ManagedInstance) -> bool:
        return any(_target_selects(target, instance) for target in self.targets)

    def status_of(self, instance: ManagedInstance) -> str:
        """At a create or update: Success on an instance online, unless the run takes time
        (realistic profile), when it is Pending until `apply` finds it done."""
        return SUCCESS if instance.online and self.run_done() else PENDING

    def run_done(self) -> bool:
        """Whether a run of the current version has had the time it takes."""
        propagation = REALISM.propagation
        if propagation is None:
            return True
        return (_now() - self.updated).total_seconds() >= propagation.association_run

    def run(self, instances: list[ManagedInstance]) -> None:
        """Record an execution over the instances targeted now (a create or update). Callers
        hold `RUNS`."""
        self.executions.append(
            Execution(
                execution_id=str(uuid.uuid4()),
                version=self.version,
                created=_now(),
                status_by_instance={
                    i.instance_id: self.status_of(i) for i in instances if self.selects(i)
                },
            )
        )

    def latest_statuses(self) -> dict[str, str]:
        """Instance id -> status of its latest run at the current version."""
        statuses: dict[str, str] = {}
        for execution in reversed(list(self.executions)):
            if execution.version != self.version:
                break
            for instance_id, status in list(execution.status_by_instance.items()):
                statuses.setdefault(instance_id, status)
        return statuses

    def apply(self, instances: list[ManagedInstance]) -> list[str]:
        """Run on the targeted instances online that have yet to run the current version (module
        doc): one execution, Success on each. Returns their ids. Callers hold `RUNS`."""
        if not self.run_done():
            return []
        statuses = self.latest_statuses()
        due = sorted(
            i.instance_id
            for i in instances
            if i.online and self.selects(i) and statuses.get(i.instance_id, PENDING) == PENDING
        )
        if due:
            self.executions.append(
                Execution(
                    execution_id=str(uuid.uuid4()),
                    version=self.version,
                    created=_now(),
                    status_by_instance=dict.fromkeys(due, SUCCESS),
                )
            )
        return due

    def fail(self, instance_id: str) -> Execution:
        """Record a run of the current version that failed on the instance. Callers hold
        `RUNS`."""
        execution = Execution(
            execution_id=str(uuid.uuid4()),
            version=self.version,
            created=_now(),
            status_by_instance={instance_id: FAILED},
        )
        self.executions.append(execution)
        return execution

    def to_json(self) -> dict[str, Any]:
        """Its id, document, version, each instance's latest status at that version and its
        executions, oldest first, each with every instance's status."""
        return {
            "associationId": self.association_id,
            "name": self.name,
            "version": self.version,
            "latestStatuses": self.latest_statuses(),
            "executions": [e.to_json() for e in list(self.executions)],
        }


def _target_selects(target: dict[str, Any], instance: ManagedInstance) -> bool:
    key, values = target["Key"], target.get("Values", [])
    if key == "InstanceIds":
        return instance.instance_id in values or "*" in values
    if key.startswith("tag:"):
        return instance.tags.get(key[4:]) in values
    if key == "tag-key":
        return any(v in instance.tags for v in values)
    return False


class AssociationStore:
    """Associations per (account, region). Thread-safe."""

    def __init__(self) -> None:
        self._by_place: dict[tuple[str, str], dict[str, Association]] = {}
        self._lock = threading.Lock()

    def of(self, account: str, region: str) -> dict[str, Association]:
        with self._lock:
            return self._by_place.setdefault((account, region), {})

    def reset(self) -> None:
        with self._lock:
            self._by_place.clear()

    def places(self) -> list[tuple[str, str]]:
        """The (account, region) pairs that hold associations."""
        with self._lock:
            return [place for place, associations in self._by_place.items() if associations]


ASSOCIATIONS = AssociationStore()
RUNS = threading.RLock()
"""Held while runs are recorded, so that whether an instance has run a version is read and
written at once: no instance runs a version twice."""


@dataclass(frozen=True, slots=True)
class AppliedRun:
    """Instances an association ran on because they came online (`apply_associations`)."""

    account: str
    region: str
    association_id: str
    version: int
    instance_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "associationId": self.association_id,
            "version": self.version,
            "instanceIds": list(self.instance_ids),
        }


def apply_associations(account: str | None = None, region: str | None = None) -> list[AppliedRun]:
    """State Manager applying associations to new targets (module doc), in every account and
    region holding associations, or only the one given. Returns the runs recorded."""
    applied: list[AppliedRun] = []
    for place_account, place_region in ASSOCIATIONS.places():
        if account not in (None, place_account) or region not in (None, place_region):
            continue
        regions = ec2_backends.get(place_account)  # dict.get: never makes a backend
        if regions is None or place_region not in regions:
            continue  # no EC2 there: no instance to run on
        instances = managed_instances(place_account, place_region)
        with RUNS:
            for association in list(ASSOCIATIONS.of(place_account, place_region).values()):
                due = association.apply(instances)
                if due:
                    applied.append(
                        AppliedRun(
                            place_account,
                            place_region,
                            association.association_id,
                            association.version,
                            tuple(due),
                        )
                    )
    return applied


def record_failed_run(
    account: str, region: str, association_id: str, instance_id: str
) -> Execution:
    """A run of the association's current version that failed on the instance, one of the
    managed instances it targets: that instance is not run again at that version (module
    doc), and a configure run there configures no agent (`_agent_sim`)."""
    place = (account, region)
    association = ASSOCIATIONS.of(*place).get(association_id)
    if association is None:
        raise ValueError(f"no association {association_id} in {account} {region}")
    regions = ec2_backends.get(account)  # dict.get: never makes a backend
    instances = [] if regions is None or region not in regions else managed_instances(*place)
    if not any(i.instance_id == instance_id and association.selects(i) for i in instances):
        raise ValueError(f"association {association_id} targets no managed instance {instance_id}")
    with RUNS:
        return association.fail(instance_id)


class SsmExtensions(SimpleSystemManagerResponse):
    """The operations listed in the module docstring, on top of moto's SSM."""

    OPERATIONS = frozenset(
        {
            "DescribeInstanceInformation",
            "CreateAssociation",
            "DescribeAssociation",
            "ListAssociations",
            "UpdateAssociation",
            "DeleteAssociation",
            "DescribeAssociationExecutions",
            "DescribeAssociationExecutionTargets",
            "DescribeInstanceAssociationsStatus",
            "ListTagsForResource",
        }
    )

    def describe_instance_information(self) -> ActionResult:
        instances = [i for i in self._instances() if self._filtered_in(i)]
        items, token = page(
            instances, self._get_param("MaxResults"), self._get_param("NextToken"), default=50
        )
        return ActionResult(
            {
                "InstanceInformationList": [self._information(i) for i in items],
                **({"NextToken": token} if token else {}),
            }
        )

    def create_association(self) -> ActionResult:
        name = self._get_param("Name")
        self._require_document(name)
        targets = self._get_param("Targets") or []
        instance_id = self._get_param("InstanceId")
        if instance_id:
            targets = [{"Key": "InstanceIds", "Values": [instance_id]}]
        if not targets:
            raise ApiError("InvalidTarget", "Targets or InstanceId is required.")
        now = _now()
        association = Association(
            association_id=str(uuid.uuid4()),
            name=name,
            document_version=self._get_param("DocumentVersion") or "$DEFAULT",
            targets=targets,
            parameters=self._get_param("Parameters") or {},
            association_name=self._get_param("AssociationName"),
            schedule_expression=self._get_param("ScheduleExpression"),
            created=now,
            updated=now,
            tags=list(self._get_param("Tags") or []),
        )
        instances = self._instances()
        with RUNS:
            association.run(instances)
            self._associations()[association.association_id] = association
        return ActionResult({"AssociationDescription": self._description(association)})

    def list_tags_for_resource(self) -> Any:
        """An association's tags; moto's answer for every other kind of resource."""
        if self._get_param("ResourceType") != "Association":
            return super().list_tags_for_resource()
        association = self._associations().get(self._get_param("ResourceId") or "")
        if association is None:
            raise ApiError("InvalidResourceId", "The resource ID is not valid.")
        return ActionResult({"TagList": association.tags})

    def describe_association(self) -> ActionResult:
        self._apply()
        association = self._association()
        return ActionResult({"AssociationDescription": self._description(association)})

    def list_associations(self) -> ActionResult:
        self._apply()
        filters = self._get_param("AssociationFilterList") or []
        matching = [
            a
            for a in self._associations().values()
            if all(self._association_filter(a, f) for f in filters)
        ]
        items, token = page(
            matching, self._get_param("MaxResults"), self._get_param("NextToken"), default=50
        )
        return ActionResult(
            {
                "Associations": [self._summary(a) for a in items],
                **({"NextToken": token} if token else {}),
            }
        )

    def update_association(self) -> ActionResult:
        association = self._association()
        expected = self._get_param("AssociationVersion")
        if expected and expected != "$LATEST" and expected != str(association.version):
            raise ApiError(
                "InvalidAssociationVersion", f"Association version {expected} is not the latest."
            )
        name = self._get_param("Name")
        if name:
            self._require_document(name)
            association.name = name
        for param, attribute in (
            ("Targets", "targets"),
            ("Parameters", "parameters"),
            ("DocumentVersion", "document_version"),
            ("AssociationName", "association_name"),
            ("ScheduleExpression", "schedule_expression"),
        ):
            value = self._get_param(param)
            if value is not None:
                setattr(association, attribute, value)
        instances = self._instances()
        with RUNS:  # a new version and its run at once: none applied to it in between
            association.version += 1
            association.updated = _now()
            association.run(instances)
        return ActionResult({"AssociationDescription": self._description(association)})

    def delete_association(self) -> ActionResult:
        association = self._association()
        del self._associations()[association.association_id]
        return EmptyResult()

    def describe_association_executions(self) -> ActionResult:
        self._apply()
        association = self._association()
        executions = list(reversed(association.executions))  # newest first, as SSM lists them
        items, token = page(
            executions, self._get_param("MaxResults"), self._get_param("NextToken"), default=50
        )
        return ActionResult(
            {
                "AssociationExecutions": [
                    {
                        "AssociationId": association.association_id,
                        "AssociationVersion": str(e.version),
                        "ExecutionId": e.execution_id,
                        "Status": e.status,
                        "DetailedStatus": e.status,
                        "CreatedTime": e.created,
                        "ResourceCountByStatus": _count_by_status(e.status_by_instance.values()),
                    }
                    for e in items
                ],
                **({"NextToken": token} if token else {}),
            }
        )

    def describe_association_execution_targets(self) -> ActionResult:
        self._apply()
        association = self._association()
        execution_id = self._get_param("ExecutionId")
        execution = next(
            (e for e in association.executions if e.execution_id == execution_id), None
        )
        if execution is None:
            raise ApiError(
                "AssociationExecutionDoesNotExist",
                f"Execution {execution_id} of association "
                f"{association.association_id} does not exist.",
            )
        runs = sorted(execution.status_by_instance.items())
        items, token = page(
            runs, self._get_param("MaxResults"), self._get_param("NextToken"), default=50
        )
        return ActionResult(
            {
                "AssociationExecutionTargets": [
                    {
                        "AssociationId": association.association_id,
                        "AssociationVersion": str(execution.version),
                        "ExecutionId": execution.execution_id,
                        "ResourceId": instance_id,
                        "ResourceType": "ManagedInstance",
                        "Status": status,
                        "DetailedStatus": status,
                        "LastExecutionDate": execution.created,
                    }
                    for instance_id, status in items
                ],
                **({"NextToken": token} if token else {}),
            }
        )

    def describe_instance_associations_status(self) -> ActionResult:
        self._apply()
        instance_id = self._get_param("InstanceId")
        instance = next((i for i in self._instances() if i.instance_id == instance_id), None)
        if instance is None:
            raise ApiError("InvalidInstanceId", "Instance is not a managed instance.")
        infos = [
            {
                "AssociationId": a.association_id,
                "Name": a.name,
                "DocumentVersion": a.document_version,
                "AssociationVersion": str(a.version),
                "InstanceId": instance_id,
                "ExecutionDate": a.updated,
                "Status": a.status_of(instance),
                "DetailedStatus": a.status_of(instance),
                **({"AssociationName": a.association_name} if a.association_name else {}),
            }
            for a in self._associations().values()
            if a.selects(instance)
        ]
        items, token = page(
            infos, self._get_param("MaxResults"), self._get_param("NextToken"), default=50
        )
        return ActionResult(
            {"InstanceAssociationStatusInfos": items, **({"NextToken": token} if token else {})}
        )

    def _apply(self) -> None:
        apply_associations(self.current_account, self.region)

    def _instances(self) -> list[ManagedInstance]:
        return managed_instances(self.current_account, self.region)

    def _associations(self) -> dict[str, Association]:
        return ASSOCIATIONS.of(self.current_account, self.region)

    def _association(self) -> Association:
        association_id = self._get_param("AssociationId")
        association = self._associations().get(association_id or "")
        if association is None:
            raise ApiError(
                "AssociationDoesNotExist", f"Association {association_id} does not exist."
            )
        return association

    def _require_document(self, name: str) -> None:
        if name in AWS_OWNED_DOCUMENTS:
            return
        try:
            ssm_backends[self.current_account][self.region].get_document(name, "", "", "")
        except InvalidDocument:
            raise ApiError("InvalidDocument", f"Document {name} does not exist.") from None

    def _filtered_in(self, instance: ManagedInstance) -> bool:
        conditions = [
            (f["key"], f["valueSet"])
            for f in self._get_param("InstanceInformationFilterList") or []
        ]
        conditions += [(f["Key"], f["Values"]) for f in self._get_param("Filters") or []]
        return all(self._instance_matches(instance, key, values) for key, values in conditions)

    def _instance_matches(self, instance: ManagedInstance, key: str, values: list[str]) -> bool:
        if key.startswith("tag:"):
            return instance.tags.get(key[4:]) in values
        if key == "tag-key":
            return any(v in instance.tags for v in values)
        attributes = {
            "InstanceIds": instance.instance_id,
            "PingStatus": instance.ping_status,
            "PlatformTypes": instance.platform_type,
            "ResourceType": "EC2Instance",
            "AgentVersion": SSM_AGENT_VERSION,
            "AssociationStatus": self._instance_overview(instance)[0],
        }
        if key not in attributes:
            raise ApiError("InvalidFilterKey", f"The filter key {key} is not valid.")
        return attributes[key] in values

    def _instance_overview(self, instance: ManagedInstance) -> tuple[str, dict[str, int]]:
        statuses = [
            a.status_of(instance) for a in self._associations().values() if a.selects(instance)
        ]
        counts = dict(Counter(statuses))
        overall = "Pending" if "Pending" in counts else "Success"
        return overall, counts

    def _information(self, instance: ManagedInstance) -> dict[str, Any]:
        overall, counts = self._instance_overview(instance)
        return {
            "InstanceId": instance.instance_id,
            "PingStatus": instance.ping_status,
            "LastPingDateTime": _now() if instance.online else instance.registered,
            "AgentVersion": SSM_AGENT_VERSION,
            "IsLatestVersion": True,
            "PlatformType": instance.platform_type,
            "PlatformName": instance.platform_name,
            "ResourceType": "EC2Instance",
            "IPAddress": instance.ip_address,
            "ComputerName": instance.computer_name,
            "RegistrationDate": instance.registered,
            "SourceId": instance.instance_id,
            "SourceType": "AWS::EC2::Instance",
            **(
                {
                    "AssociationStatus": overall,
                    "AssociationOverview": {
                        "DetailedStatus": overall,
                        "InstanceAssociationStatusAggregatedCount": counts,
                    },
                }
                if counts
                else {}
            ),
        }

    def _association_filter(self, association: Association, condition: dict[str, str]) -> bool:
        key, value = condition["key"], condition["value"]
        if key == "InstanceId":
            return any(a.instance_id == value and association.selects(a) for a in self._instances())
        attributes = {
            "Name": association.name,
            "AssociationId": association.association_id,
            "AssociationName": association.association_name,
        }
        if key not in attributes:
            raise ApiError("InvalidFilterKey", f"The filter key {key} is not valid.")
        return attributes[key] == value

    def _overview(self, association: Association) -> dict[str, Any]:
        statuses = [association.status_of(i) for i in self._instances() if association.selects(i)]
        counts = dict(Counter(statuses))
        status = "Pending" if "Pending" in counts or not counts else "Success"
        return {
            "Status": status,
            "DetailedStatus": status,
            "AssociationStatusAggregatedCount": counts,
        }

    def _summary(self, association: Association) -> dict[str, Any]:
        last = association.executions[-1].created if association.executions else None
        return {
            "Name": association.name,
            "AssociationId": association.association_id,
            "AssociationVersion": str(association.version),
            "DocumentVersion": association.document_version,
            "Targets": association.targets,
            "Overview": self._overview(association),
            **({"LastExecutionDate": last} if last else {}),
            **(
                {"AssociationName": association.association_name}
                if association.association_name
                else {}
            ),
            **(
                {"ScheduleExpression": association.schedule_expression}
                if association.schedule_expression
                else {}
            ),
        }

    def _description(self, association: Association) -> dict[str, Any]:
        overview = self._overview(association)
        counts = overview["AssociationStatusAggregatedCount"]
        return {
            **self._summary(association),
            "Date": association.created,
            "LastUpdateAssociationDate": association.updated,
            "Parameters": association.parameters,
            "Status": {
                "Date": association.updated,
                "Name": overview["Status"],
                "Message": f"Applies to {sum(counts.values())} managed instance(s)",
            },
        }


def _count_by_status(statuses: Any) -> str:
    # SSM's own format, e.g. "{Pending=1, Success=2}"
    return "{" + ", ".join(f"{s}={n}" for s, n in sorted(Counter(statuses).items())) + "}"


def _now() -> datetime:
    return datetime.now(UTC)
