"""Typed views of the AwsAccount and GdprMonitoring specs.

Parsing applies the CRD defaults first, so an object read from a file means the same as the
one the API server stores, then checks it as the API server does (the CRD's schema and CEL
rules, `_validation`): the API server has already checked what the operator receives, input
that skipped it is refused with the offending field named, and what passes is read as the
schema guarantees it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.model._duration import parse_duration
from gdpr_operator.model._schema import apply_defaults, openapi_schema
from gdpr_operator.model._validation import SpecError, check_spec

ALL_REGIONS = "*"

RESYNC_SECONDS = 300.0
"""The resync interval when `resyncInterval` is not set and an AwsAccount the GdprMonitoring
binds has events Off: the resync is what finds its drift."""
RESYNC_WITH_EVENTS_SECONDS = 3600.0
"""The resync interval when `resyncInterval` is not set and every AwsAccount the
GdprMonitoring binds has events Managed or External: change events bring drift within
seconds, and the resync only bounds how long drift whose event was lost can last (CloudTrail's
delivery to EventBridge is best effort)."""


class ManagementPolicy(enum.StrEnum):
    ENFORCE = "Enforce"
    OBSERVE = "Observe"


class DeletionPolicy(enum.StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


class DriftEventsMode(enum.StrEnum):
    MANAGED = "Managed"
    """The operator makes and keeps the rule, queue and target (for Observe GdprMonitorings
    too: the account asks for them)."""
    EXTERNAL = "External"
    """The account's owner makes them, from the CloudFormation template the operator ships;
    the operator only checks them and reads the queue."""
    OFF = "Off"

    @property
    def consumed(self) -> bool:
        """Whether the operator reads the account's queue of change events."""
        return self is not DriftEventsMode.OFF


class OtherProfilePolicy(enum.StrEnum):
    ATTACH_POLICIES = "AttachPolicies"
    REPLACE = "Replace"
    REPORT = "Report"


@dataclass(frozen=True, slots=True)
class SecretRef:
    name: str
    key: str


@dataclass(frozen=True, slots=True)
class AssumeRole:
    role_arn: str
    external_id_secret: SecretRef | None
    session_name: str
    duration_seconds: int


@dataclass(frozen=True, slots=True)
class TenantPermissions:
    """What the GdprMonitorings bound to an AwsAccount may have the operator do beyond
    creating and keeping its own resources: decided by cluster admins on the AwsAccount,
    never by a tenant's spec. Nothing by default."""

    additional_policy_arns: frozenset[str] = frozenset()
    """Managed policies a GdprMonitoring may have attached to the agent's role."""
    attach_agent_policies_to_instance_roles: bool = False
    """Whether whenOtherProfileAttached: AttachPolicies may give the agent's two managed
    policies to the role of another profile (one the operator did not create)."""
    replace_other_instance_profiles: bool = False
    """Whether whenOtherProfileAttached: Replace may swap another application's profile on
    an instance for the agent's (taking that application's permissions off the instance)."""
    adopt_guardduty_detectors: bool = False
    """Whether detectors the operator did not create may be enabled and configured (never
    deleted)."""


@dataclass(frozen=True, slots=True)
class AwsAccountSpec:
    name: str
    account_id: str
    assume_role: AssumeRole | None
    allowed_namespaces: frozenset[str]
    permissions: TenantPermissions = TenantPermissions()
    drift_events: DriftEventsMode = DriftEventsMode.OFF


@dataclass(frozen=True, slots=True)
class GuardDutySpec:
    enabled: bool
    finding_publishing_frequency: str
    features: tuple[str, ...]
    auto_enable_organization_members: str


@dataclass(frozen=True, slots=True)
class InstancesSpec:
    selector_tags: Mapping[str, str]
    role_name: str
    additional_policy_arns: tuple[str, ...]
    when_other_profile_attached: OtherProfilePolicy


@dataclass(frozen=True, slots=True)
class CustomLogFile:
    platform: str
    file_path: str
    log_group: str
    timestamp_format: str | None


@dataclass(frozen=True, slots=True)
class CloudWatchAgentSpec:
    enabled: bool
    presets: tuple[str, ...]
    custom_log_files: tuple[CustomLogFile, ...]


@dataclass(frozen=True, slots=True)
class LogsSpec:
    group_prefix: str
    retention_days: int
    kms_key_arn: str | None
    max_ingestion_age_seconds: float


@dataclass(frozen=True, slots=True)
class FlowLogsSpec:
    selector_tags: Mapping[str, str]
    """The tags a VPC must all carry to be in scope; empty: every VPC."""
    traffic_type: str
    """ALL, ACCEPT or REJECT: what the flow logs the operator creates record."""


@dataclass(frozen=True, slots=True)
class MonitoringSpec:
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    """Region names, or the single ALL_REGIONS entry."""
    management_policy: ManagementPolicy
    deletion_policy: DeletionPolicy
    resync_interval_seconds: float | None
    """`resyncInterval` as written; None when it is not set (`effective_resync_interval`)."""
    guard_duty: GuardDutySpec
    instances: InstancesSpec | None
    """None when the spec selects no instances: no instance profile, no agent."""
    cloud_watch_agent: CloudWatchAgentSpec
    logs: LogsSpec
    audit_checks: tuple[str, ...]
    object_level_logging_tags: Mapping[str, str] = field(default_factory=dict)
    """The tags a bucket must all carry to be in s3.object_level_logging's scope; empty:
    every bucket."""
    flow_logs: FlowLogsSpec | None = None
    """None when the spec enforces no flow logs."""

    @property
    def enforce(self) -> bool:
        return self.management_policy is ManagementPolicy.ENFORCE


def effective_resync_interval(
    spec: MonitoringSpec, bound_events: Iterable[DriftEventsMode]
) -> float:
    """Seconds between the resyncs of a GdprMonitoring with `spec`, whose bound AwsAccounts
    (those it names that exist and allow its namespace) have the events modes `bound_events`.

    An explicit `resyncInterval` always wins. Unset: RESYNC_WITH_EVENTS_SECONDS when there is
    a bound account and every one has its change events consumed (Managed or External),
    otherwise RESYNC_SECONDS (an account with events Off, or none bound yet: nothing but the
    resync finds drift there)."""
    if spec.resync_interval_seconds is not None:
        return spec.resync_interval_seconds
    modes = tuple(bound_events)
    if modes and all(mode.consumed for mode in modes):
        return RESYNC_WITH_EVENTS_SECONDS
    return RESYNC_SECONDS


def _checked(kind: str, spec: Any) -> dict[str, Any]:
    """`spec` with the CRD's defaults, if the API server would take it; else SpecError."""
    if not isinstance(spec, Mapping):
        raise SpecError("spec", "must be an object")
    defaulted: dict[str, Any] = apply_defaults(
        openapi_schema(kind)["properties"]["spec"], _plain(spec)
    )
    check_spec(kind, defaulted)
    return defaulted


def _plain(value: Any) -> Any:
    """JSON-like data as dicts and lists (a handler's spec is a read-only mapping view)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def parse_aws_account(name: str, spec: Any) -> AwsAccountSpec:
    """The AwsAccount called `name`, from its spec."""
    fields = _checked("AwsAccount", spec)
    role = fields.get("assumeRole")
    secret = role.get("externalIdSecretRef") if role else None
    permissions = fields["permissions"]
    return AwsAccountSpec(
        name=name,
        account_id=fields["accountId"],
        assume_role=AssumeRole(
            role_arn=role["roleArn"],
            external_id_secret=SecretRef(secret["name"], secret["key"]) if secret else None,
            session_name=role["sessionName"],
            duration_seconds=role["durationSeconds"],
        )
        if role
        else None,
        allowed_namespaces=frozenset(fields["allowedNamespaces"]),
        permissions=TenantPermissions(
            additional_policy_arns=frozenset(permissions["additionalPolicyArns"]),
            attach_agent_policies_to_instance_roles=permissions[
                "attachAgentPoliciesToInstanceRoles"
            ],
            replace_other_instance_profiles=permissions["replaceOtherInstanceProfiles"],
            adopt_guardduty_detectors=permissions["adoptGuardDutyDetectors"],
        ),
        drift_events=DriftEventsMode(fields["events"]["mode"]),
    )


def parse_monitoring(spec: Any) -> MonitoringSpec:
    """A GdprMonitoring's spec, defaults applied."""
    fields = _checked("GdprMonitoring", spec)
    guard_duty = fields["guardDuty"]
    agent = fields["cloudWatchAgent"]
    logs = fields["logs"]
    return MonitoringSpec(
        accounts=tuple(fields["accounts"]),
        regions=tuple(fields["regions"]),
        management_policy=ManagementPolicy(fields["managementPolicy"]),
        deletion_policy=DeletionPolicy(fields["deletionPolicy"]),
        resync_interval_seconds=(
            parse_duration(fields["resyncInterval"]) if "resyncInterval" in fields else None
        ),
        guard_duty=GuardDutySpec(
            enabled=guard_duty["enabled"],
            finding_publishing_frequency=guard_duty["findingPublishingFrequency"],
            features=tuple(guard_duty["features"]),
            auto_enable_organization_members=guard_duty["autoEnableOrganizationMembers"],
        ),
        instances=_parse_instances(fields.get("instances")),
        cloud_watch_agent=CloudWatchAgentSpec(
            enabled=agent["enabled"],
            presets=tuple(agent["presets"]),
            custom_log_files=tuple(
                CustomLogFile(
                    platform=item["platform"],
                    file_path=item["filePath"],
                    log_group=item["logGroup"],
                    timestamp_format=item.get("timestampFormat"),
                )
                for item in agent["customLogFiles"]
            ),
        ),
        logs=LogsSpec(
            group_prefix=logs["groupPrefix"],
            retention_days=logs["retentionDays"],
            kms_key_arn=logs["kmsKeyArn"] or None,
            max_ingestion_age_seconds=parse_duration(logs["maxIngestionAge"]),
        ),
        audit_checks=tuple(fields["auditChecks"]),
        object_level_logging_tags=_bucket_tags(fields.get("s3ObjectLevelLogging")),
        flow_logs=_parse_flow_logs(fields.get("flowLogs")),
    )


def _parse_flow_logs(flow_logs: Mapping[str, Any] | None) -> FlowLogsSpec | None:
    if flow_logs is None:
        return None
    selector = flow_logs.get("selector") or {}
    return FlowLogsSpec(
        selector_tags=dict(selector.get("tags") or {}), traffic_type=flow_logs["trafficType"]
    )


def _bucket_tags(object_level_logging: Mapping[str, Any] | None) -> Mapping[str, str]:
    """The tags a bucket needs to be in scope of s3.object_level_logging; none: every bucket."""
    selector = (object_level_logging or {}).get("selector") or {}
    return dict(selector.get("tags") or {})


def _parse_instances(instances: Mapping[str, Any] | None) -> InstancesSpec | None:
    if instances is None:
        return None
    profile = instances["instanceProfile"]
    return InstancesSpec(
        selector_tags=dict(instances["selector"]["tags"]),
        role_name=profile["roleName"],
        additional_policy_arns=tuple(profile["additionalPolicyArns"]),
        when_other_profile_attached=OtherProfilePolicy(profile["whenOtherProfileAttached"]),
    )
