"""Typed views of the AwsAccount and GdprMonitoring specs.

Parsing applies the CRD defaults first, so an object read from a file means the same as the
one the API server stores. The API server has already validated what the operator receives;
the checks here name the offending field for input that skipped it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gdpr_operator.model._duration import parse_duration
from gdpr_operator.model._schema import apply_defaults, openapi_schema

ALL_REGIONS = "*"

_T = TypeVar("_T")


class SpecError(ValueError):
    """A spec that cannot be used; `field` is its path, such as spec.logs.retentionDays."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ManagementPolicy(enum.StrEnum):
    ENFORCE = "Enforce"
    OBSERVE = "Observe"


class DeletionPolicy(enum.StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


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
class MonitoringSpec:
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    """Region names, or the single ALL_REGIONS entry."""
    management_policy: ManagementPolicy
    deletion_policy: DeletionPolicy
    resync_interval_seconds: float
    guard_duty: GuardDutySpec
    instances: InstancesSpec | None
    """None when the spec selects no instances: no instance profile, no agent."""
    cloud_watch_agent: CloudWatchAgentSpec
    logs: LogsSpec
    audit_checks: tuple[str, ...]
    object_level_logging_tags: Mapping[str, str] = field(default_factory=dict)
    """The tags a bucket must all carry to be in s3.object_level_logging's scope; empty:
    every bucket."""

    @property
    def enforce(self) -> bool:
        return self.management_policy is ManagementPolicy.ENFORCE


class _Reader:
    """Typed access to one mapping of a spec, naming the field path in every error."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise SpecError(path, "must be an object")
        self._data = data
        self._path = path

    def _get(self, name: str, kind: type[_T], required: bool) -> _T | None:
        if name not in self._data or self._data[name] is None:
            if required:
                raise SpecError(f"{self._path}.{name}", "is required")
            return None
        value = self._data[name]
        # bool is an int in Python; a schema integer is never a boolean.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise SpecError(f"{self._path}.{name}", f"must be a {kind.__name__}")
        return value

    def text(self, name: str) -> str:
        value = self._get(name, str, required=True)
        assert value is not None
        return value

    def optional_text(self, name: str) -> str | None:
        return self._get(name, str, required=False)

    def integer(self, name: str) -> int:
        value = self._get(name, int, required=True)
        assert value is not None
        return value

    def boolean(self, name: str) -> bool:
        value = self._get(name, bool, required=True)
        assert value is not None
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        values = self._get(name, list, required=True)
        assert values is not None
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise SpecError(f"{self._path}.{name}[{index}]", "must be a string")
        return tuple(values)

    def child(self, name: str) -> _Reader:
        return _Reader(self._data.get(name), f"{self._path}.{name}")

    def optional_child(self, name: str) -> _Reader | None:
        return self.child(name) if self._data.get(name) is not None else None

    def children(self, name: str) -> list[_Reader]:
        values = self._get(name, list, required=True)
        assert values is not None
        return [_Reader(value, f"{self._path}.{name}[{i}]") for i, value in enumerate(values)]

    def string_map(self, name: str) -> dict[str, str]:
        values = self._get(name, dict, required=True)
        assert values is not None
        for key, value in values.items():
            if not isinstance(value, str):
                raise SpecError(f"{self._path}.{name}.{key}", "must be a string")
        return dict(values)

    def enum(self, name: str, kind: type[_E]) -> _E:
        value = self.text(name)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise SpecError(f"{self._path}.{name}", f"must be one of {allowed}") from None

    def duration(self, name: str) -> float:
        try:
            return parse_duration(self.text(name))
        except ValueError as error:
            raise SpecError(f"{self._path}.{name}", str(error)) from None


_E = TypeVar("_E", bound=enum.Enum)


def _defaulted_spec(kind: str, spec: Any) -> _Reader:
    schema = openapi_schema(kind)["properties"]["spec"]
    return _Reader(apply_defaults(schema, spec) if isinstance(spec, Mapping) else spec, "spec")


def parse_aws_account(name: str, spec: Any) -> AwsAccountSpec:
    """The AwsAccount called `name`, from its spec."""
    fields = _defaulted_spec("AwsAccount", spec)
    role = fields.optional_child("assumeRole")
    secret = role.optional_child("externalIdSecretRef") if role else None
    permissions = fields.child("permissions")
    return AwsAccountSpec(
        name=name,
        account_id=fields.text("accountId"),
        assume_role=AssumeRole(
            role_arn=role.text("roleArn"),
            external_id_secret=(
                SecretRef(secret.text("name"), secret.text("key")) if secret else None
            ),
            session_name=role.text("sessionName"),
            duration_seconds=role.integer("durationSeconds"),
        )
        if role
        else None,
        allowed_namespaces=frozenset(fields.texts("allowedNamespaces")),
        permissions=TenantPermissions(
            additional_policy_arns=frozenset(permissions.texts("additionalPolicyArns")),
            attach_agent_policies_to_instance_roles=permissions.boolean(
                "attachAgentPoliciesToInstanceRoles"
            ),
            adopt_guardduty_detectors=permissions.boolean("adoptGuardDutyDetectors"),
        ),
    )


def parse_monitoring(spec: Any) -> MonitoringSpec:
    """A GdprMonitoring's spec, defaults applied."""
    fields = _defaulted_spec("GdprMonitoring", spec)
    guard_duty = fields.child("guardDuty")
    agent = fields.child("cloudWatchAgent")
    logs = fields.child("logs")
    return MonitoringSpec(
        accounts=fields.texts("accounts"),
        regions=fields.texts("regions"),
        management_policy=fields.enum("managementPolicy", ManagementPolicy),
        deletion_policy=fields.enum("deletionPolicy", DeletionPolicy),
        resync_interval_seconds=fields.duration("resyncInterval"),
        guard_duty=GuardDutySpec(
            enabled=guard_duty.boolean("enabled"),
            finding_publishing_frequency=guard_duty.text("findingPublishingFrequency"),
            features=guard_duty.texts("features"),
            auto_enable_organization_members=guard_duty.text("autoEnableOrganizationMembers"),
        ),
        instances=_parse_instances(fields.optional_child("instances")),
        cloud_watch_agent=CloudWatchAgentSpec(
            enabled=agent.boolean("enabled"),
            presets=agent.texts("presets"),
            custom_log_files=tuple(
                CustomLogFile(
                    platform=item.text("platform"),
                    file_path=item.text("filePath"),
                    log_group=item.text("logGroup"),
                    timestamp_format=item.optional_text("timestampFormat"),
                )
                for item in agent.children("customLogFiles")
            ),
        ),
        logs=LogsSpec(
            group_prefix=logs.text("groupPrefix"),
            retention_days=logs.integer("retentionDays"),
            kms_key_arn=logs.text("kmsKeyArn") or None,
            max_ingestion_age_seconds=logs.duration("maxIngestionAge"),
        ),
        audit_checks=fields.texts("auditChecks"),
        object_level_logging_tags=_bucket_tags(fields.optional_child("s3ObjectLevelLogging")),
    )


def _bucket_tags(object_level_logging: _Reader | None) -> Mapping[str, str]:
    selector = object_level_logging.optional_child("selector") if object_level_logging else None
    return selector.string_map("tags") if selector else {}


def _parse_instances(instances: _Reader | None) -> InstancesSpec | None:
    if instances is None:
        return None
    profile = instances.child("instanceProfile")
    return InstancesSpec(
        selector_tags=instances.child("selector").string_map("tags"),
        role_name=profile.text("roleName"),
        additional_policy_arns=profile.texts("additionalPolicyArns"),
        when_other_profile_attached=profile.enum("whenOtherProfileAttached", OtherProfilePolicy),
    )
