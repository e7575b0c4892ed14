"""The operator's vocabulary: specs, check metadata and check results. Depends on nothing else."""

from gdpr_operator.model._duration import parse_duration
from gdpr_operator.model._schema import API_VERSION, GROUP, VERSION, apply_defaults, openapi_schema
from gdpr_operator.model.checks import CheckInfo, Scope
from gdpr_operator.model.permissions import (
    Denial,
    denials,
    other_profile_policy,
    permitted_policy_arns,
)
from gdpr_operator.model.results import (
    GLOBAL_REGION,
    Action,
    CheckResult,
    FindingCount,
    LogIngestion,
)
from gdpr_operator.model.spec import (
    ALL_REGIONS,
    AssumeRole,
    AwsAccountSpec,
    CloudWatchAgentSpec,
    CustomLogFile,
    DeletionPolicy,
    GuardDutySpec,
    InstancesSpec,
    LogsSpec,
    ManagementPolicy,
    MonitoringSpec,
    OtherProfilePolicy,
    SecretRef,
    SpecError,
    TenantPermissions,
    parse_aws_account,
    parse_monitoring,
)

__all__ = [
    "ALL_REGIONS",
    "API_VERSION",
    "GLOBAL_REGION",
    "GROUP",
    "VERSION",
    "Action",
    "AssumeRole",
    "AwsAccountSpec",
    "CheckInfo",
    "CheckResult",
    "CloudWatchAgentSpec",
    "CustomLogFile",
    "DeletionPolicy",
    "Denial",
    "FindingCount",
    "GuardDutySpec",
    "InstancesSpec",
    "LogIngestion",
    "LogsSpec",
    "ManagementPolicy",
    "MonitoringSpec",
    "OtherProfilePolicy",
    "Scope",
    "SecretRef",
    "SpecError",
    "TenantPermissions",
    "apply_defaults",
    "denials",
    "openapi_schema",
    "other_profile_policy",
    "parse_aws_account",
    "parse_duration",
    "parse_monitoring",
    "permitted_policy_arns",
]
