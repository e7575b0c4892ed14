"""The API server itself rejects malformed specs, naming the offending field; `audit` rejects
the same specs at the same field."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdpr_operator.cli import main
from gdpr_operator.cli._manifests import load

from fixtures.cluster import Kubectl

MONITORING: dict[str, Any] = {
    "apiVersion": "monitoring.gdpr.io/v1alpha1",
    "kind": "GdprMonitoring",
    "metadata": {"name": "bad", "namespace": "default"},
    "spec": {
        "accounts": ["prod"],
        "regions": ["eu-west-1"],
        "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
        "s3ObjectLevelLogging": {"selector": {"tags": {"data": "personal"}}},
        "flowLogs": {"selector": {"tags": {"network": "prod"}}},
    },
}
ACCOUNT: dict[str, Any] = {
    "apiVersion": "monitoring.gdpr.io/v1alpha1",
    "kind": "AwsAccount",
    "metadata": {"name": "bad"},
    "spec": {
        "accountId": "111111111111",
        "assumeRole": {
            "roleArn": "arn:aws:iam::111111111111:role/gdpr-operator",
            "externalIdSecretRef": {"name": "prod-external-id", "key": "externalId"},
        },
        "allowedNamespaces": ["security"],
    },
}


class _Absent:
    """A case's value that stands for "leave the field out"."""

    def __repr__(self) -> str:
        return "<absent>"


DELETE = _Absent()
_APP_LOG = {"platform": "Linux", "filePath": "/var/log/app.log", "logGroup": "app"}
CRDS = Path(__file__).resolve().parents[2] / "crds"

# (base object, dotted path in spec, new value or DELETE, text the error must contain)
MALFORMED = [
    (MONITORING, "accounts", [], "spec.accounts"),
    (MONITORING, "accounts", DELETE, "spec.accounts: Required value"),
    (MONITORING, "accounts", ["Prod_Account"], "spec.accounts[0]"),
    (MONITORING, "accounts", ["prod", "prod"], "spec.accounts[1]: Duplicate value"),
    (MONITORING, "regions", ["eu-west"], "spec.regions[0]"),
    (MONITORING, "regions", ["*", "eu-west-1"], "spec.regions"),
    (MONITORING, "managementPolicy", "Fix", "spec.managementPolicy"),
    (MONITORING, "deletionPolicy", "Purge", "spec.deletionPolicy"),
    (MONITORING, "resyncInterval", "5 minutes", "spec.resyncInterval"),
    (MONITORING, "resyncInterval", "10s", "spec.resyncInterval"),
    (MONITORING, "resyncInterval", "0s", "spec.resyncInterval"),
    (
        MONITORING,
        "guardDuty.findingPublishingFrequency",
        "HOURLY",
        "spec.guardDuty.findingPublishingFrequency",
    ),
    (MONITORING, "guardDuty.features", ["MALWARE"], "spec.guardDuty.features[0]"),
    (MONITORING, "guardDuty.enable", True, 'unknown field "spec.guardDuty.enable"'),
    (MONITORING, "instances.selector.tags", {}, "spec.instances.selector.tags"),
    (
        MONITORING,
        "s3ObjectLevelLogging.selector.tags",
        {},
        "spec.s3ObjectLevelLogging.selector.tags",
    ),
    (
        MONITORING,
        "s3ObjectLevelLogging.selector.tags",
        {"": "personal"},
        "spec.s3ObjectLevelLogging.selector.tags",
    ),
    (
        MONITORING,
        "s3ObjectLevelLogging.selector.tags",
        DELETE,
        "spec.s3ObjectLevelLogging.selector.tags: Required value",
    ),
    (MONITORING, "flowLogs.selector.tags", {}, "spec.flowLogs.selector.tags"),
    (MONITORING, "flowLogs.selector.tags", {"": "prod"}, "spec.flowLogs.selector.tags"),
    (
        MONITORING,
        "flowLogs.selector.tags",
        DELETE,
        "spec.flowLogs.selector.tags: Required value",
    ),
    (MONITORING, "flowLogs.trafficType", "SOME", "spec.flowLogs.trafficType"),
    (
        MONITORING,
        "instances.selector.tags",
        {"aws:cloudformation:stack-name": "web"},
        "spec.instances.selector.tags",
    ),
    (
        MONITORING,
        "instances.instanceProfile.roleName",
        "bad name!",
        "spec.instances.instanceProfile.roleName",
    ),
    (
        MONITORING,
        "instances.instanceProfile.whenOtherProfileAttached",
        "Ignore",
        "spec.instances.instanceProfile.whenOtherProfileAttached",
    ),
    (
        MONITORING,
        "instances.instanceProfile.additionalPolicyArns",
        ["ReadOnlyAccess"],
        "spec.instances.instanceProfile.additionalPolicyArns[0]",
    ),
    (MONITORING, "cloudWatchAgent.presets", ["mysql"], "spec.cloudWatchAgent.presets[0]"),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{"platform": "Linux", "filePath": "C:\\app\\app.log", "logGroup": "app"}],
        "spec.cloudWatchAgent.customLogFiles[0].filePath",
    ),
    (MONITORING, "logs.retentionDays", 2, "spec.logs.retentionDays"),
    (MONITORING, "logs.retentionDays", 0, "spec.logs.retentionDays"),
    (MONITORING, "logs.groupPrefix", "gdpr/web", "spec.logs.groupPrefix"),
    (
        MONITORING,
        "logs.kmsKeyArn",
        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "spec.logs.kmsKeyArn",
    ),
    (MONITORING, "logs.maxIngestionAge", "30s", "spec.logs.maxIngestionAge"),
    (MONITORING, "auditChecks", ["guardduty"], "spec.auditChecks[0]"),
    (
        MONITORING,
        "auditChecks",
        ["vpc.flow_logs", "vpc.flow_logs"],
        "spec.auditChecks[1]: Duplicate value",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [_APP_LOG, _APP_LOG],
        "spec.cloudWatchAgent.customLogFiles[1]: Duplicate value",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{**_APP_LOG, "logGroup": DELETE}],
        "spec.cloudWatchAgent.customLogFiles[0].logGroup: Required value",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{**_APP_LOG, "logGroup": "app logs"}],
        "spec.cloudWatchAgent.customLogFiles[0].logGroup",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{**_APP_LOG, "platform": "Solaris"}],
        "spec.cloudWatchAgent.customLogFiles[0].platform",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{**_APP_LOG, "timestampFormat": "%Y" * 65}],
        "spec.cloudWatchAgent.customLogFiles[0].timestampFormat",
    ),
    (
        MONITORING,
        "cloudWatchAgent.presets",
        ["nginx", "nginx"],
        "spec.cloudWatchAgent.presets[1]: Duplicate value",
    ),
    (
        MONITORING,
        "guardDuty.autoEnableOrganizationMembers",
        "SOME",
        "spec.guardDuty.autoEnableOrganizationMembers",
    ),
    (
        MONITORING,
        "guardDuty.features",
        ["EKS_AUDIT_LOGS", "EKS_AUDIT_LOGS"],
        "spec.guardDuty.features[1]: Duplicate value",
    ),
    (
        MONITORING,
        "auditChecks",
        [
            "cloudtrail.multi_region",
            "config.recorder",
            "vpc.flow_logs",
            "s3.access_logging",
            "cloudfront.waf_attached",
            "waf.logging",
            "s3.object_level_logging",
            "config.rules_compliance",
            "trustedadvisor.security",
            "config.recorder",
        ],
        "spec.auditChecks: Too many",
    ),
    (
        MONITORING,
        "cloudWatchAgent.customLogFiles",
        [{**_APP_LOG, "filePath": f"/var/log/app{n}.log"} for n in range(51)],
        "spec.cloudWatchAgent.customLogFiles: Too many",
    ),
    (
        MONITORING,
        "cloudWatchAgent.presets",
        ["linux-system", "apache", "nginx", "windows-system", "iis", "nginx"],
        "spec.cloudWatchAgent.presets: Too many",
    ),
    (
        MONITORING,
        "guardDuty.features",
        ["S3_DATA_EVENTS"] * 17,
        "spec.guardDuty.features: Too many",
    ),
    (
        MONITORING,
        "instances.instanceProfile.additionalPolicyArns",
        [f"arn:aws:iam::aws:policy/Policy{n}" for n in range(9)],
        "spec.instances.instanceProfile.additionalPolicyArns: Too many",
    ),
    (MONITORING, "instances.selector", DELETE, "spec.instances.selector: Required value"),
    (MONITORING, "instances.selector.tags", DELETE, "spec.instances.selector.tags: Required value"),
    (
        MONITORING,
        "instances.instanceProfile.additionalPolicyArns",
        ["arn:aws:iam::aws:policy/ReadOnlyAccess"] * 2,
        "spec.instances.instanceProfile.additionalPolicyArns[1]: Duplicate value",
    ),
    (ACCOUNT, "accountId", "12345", "spec.accountId"),
    (ACCOUNT, "accountId", DELETE, "spec.accountId: Required value"),
    (
        ACCOUNT,
        "assumeRole.roleArn",
        "arn:aws:iam::222222222222:role/gdpr-operator",
        "spec.assumeRole.roleArn",
    ),
    (ACCOUNT, "assumeRole.roleArn", "gdpr-operator", "spec.assumeRole.roleArn"),
    (ACCOUNT, "assumeRole.durationSeconds", 60, "spec.assumeRole.durationSeconds"),
    (
        ACCOUNT,
        "assumeRole.externalIdSecretRef.key",
        DELETE,
        "spec.assumeRole.externalIdSecretRef.key: Required value",
    ),
    (ACCOUNT, "allowedNamespaces", ["Bad_NS"], "spec.allowedNamespaces[0]"),
    (
        ACCOUNT,
        "permissions.additionalPolicyArns",
        ["AdministratorAccess"],
        "spec.permissions.additionalPolicyArns[0]",
    ),
    (
        ACCOUNT,
        "permissions.additionalPolicyArns",
        [f"arn:aws:iam::aws:policy/P{n}" for n in range(33)],
        "spec.permissions.additionalPolicyArns: Too many",
    ),
    (
        ACCOUNT,
        "permissions.adoptGuardDutyDetectors",
        "yes",
        "spec.permissions.adoptGuardDutyDetectors",
    ),
    (
        ACCOUNT,
        "permissions.replaceOtherInstanceProfiles",
        "yes",
        "spec.permissions.replaceOtherInstanceProfiles",
    ),
    (ACCOUNT, "events.mode", "Always", "spec.events.mode: Unsupported value"),
    (ACCOUNT, "allowedNamespaces", ["web", "web"], "spec.allowedNamespaces[1]: Duplicate value"),
    (
        ACCOUNT,
        "allowedNamespaces",
        [f"team-{n}" for n in range(257)],
        "spec.allowedNamespaces: Too many",
    ),
    (ACCOUNT, "assumeRole.roleArn", DELETE, "spec.assumeRole.roleArn: Required value"),
    (
        ACCOUNT,
        "assumeRole.externalIdSecretRef.name",
        DELETE,
        "spec.assumeRole.externalIdSecretRef.name: Required value",
    ),
    (
        ACCOUNT,
        "assumeRole.externalIdSecretRef.name",
        "Prod_Secret",
        "spec.assumeRole.externalIdSecretRef.name",
    ),
    (ACCOUNT, "assumeRole.sessionName", "x", "spec.assumeRole.sessionName"),
    (ACCOUNT, "assumeRole.sessionName", "gdpr operator", "spec.assumeRole.sessionName"),
]


def _mutated(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = obj["spec"]
    for parent in parents:
        node = node.setdefault(parent, {})
    if value is DELETE:
        del node[leaf]
    elif isinstance(value, list):  # a list of objects may say which key an item lacks
        node[leaf] = [
            {k: v for k, v in item.items() if v is not DELETE} if isinstance(item, dict) else item
            for item in value
        ]
    else:
        node[leaf] = value
    return obj


@pytest.mark.e2e
@pytest.mark.parametrize(
    "case", MALFORMED, ids=[f"{case[0]['kind']}.{case[1]}={case[2]!r:.60}" for case in MALFORMED]
)
def test_api_server_and_audit_reject_malformed_spec_at_the_same_field(
    installed: Kubectl,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], str, Any, str],
) -> None:
    """What `kubectl apply` refuses, `audit` refuses too (exit 2, one line), naming the same
    field: the API server names a duplicate by its index, audit the list holding it."""
    base, path, value, expected = case
    manifest = yaml.safe_dump(_mutated(base, path, value))
    result = installed.run("create", "--dry-run=server", "-f", "-", stdin=manifest, check=False)
    assert result.returncode != 0, f"accepted: {manifest}"
    assert expected in result.stderr
    field = _named_field(expected)

    file = tmp_path / "malformed.yaml"
    file.write_text(manifest)
    code = main(["audit", "-f", str(file)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    assert err.splitlines() == [err.strip()], err
    refused_field = err.split("): ", 1)[1].split(": ", 1)[0]
    assert refused_field in {field, re.sub(r"\[\d+\]$", "", field)}, (field, err)


def _named_field(message: str) -> str:
    """The spec field an API server message names, such as spec.regions[0]."""
    found = _FIELD_NAMED.search(message)
    assert found, message
    return found.group(0)


@pytest.mark.e2e
@pytest.mark.parametrize("base", [MONITORING, ACCOUNT], ids=["GdprMonitoring", "AwsAccount"])
def test_api_server_accepts_the_valid_base(installed: Kubectl, base: dict[str, Any]) -> None:
    """The table is only meaningful if each case differs from a valid object in one field."""
    installed.run("create", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(base))


def test_audit_reads_the_valid_bases(tmp_path: Path) -> None:
    """The other half of the table's premise: audit takes both bases as they are."""
    file = tmp_path / "valid.yaml"
    file.write_text(yaml.safe_dump_all([ACCOUNT, MONITORING]))
    inputs = load([str(file)], "gdpr-system")
    assert set(inputs.accounts) == {"bad"}
    assert set(inputs.monitorings) == {("default", "bad")}


@pytest.mark.e2e
def test_api_server_fills_in_defaults(installed: Kubectl) -> None:
    result = installed.run(
        "create", "--dry-run=server", "-o", "json", "-f", "-", stdin=yaml.safe_dump(MONITORING)
    )
    spec = yaml.safe_load(result.stdout)["spec"]
    assert spec["managementPolicy"] == "Observe"
    assert spec["deletionPolicy"] == "Retain"
    assert spec["logs"]["retentionDays"] == 365
    assert spec["instances"]["instanceProfile"]["roleName"] == "CloudWatchAgentServerRole"
    assert "resyncInterval" not in spec  # no CRD default: the operator's depends on events


@pytest.mark.e2e
def test_kubectl_explain_describes_every_spec_field(installed: Kubectl) -> None:
    text = installed.run("explain", "gdprmonitorings.spec", "--recursive").stdout
    for field in (
        "accounts",
        "regions",
        "managementPolicy",
        "deletionPolicy",
        "resyncInterval",
        "findingPublishingFrequency",
        "whenOtherProfileAttached",
        "presets",
        "retentionDays",
        "kmsKeyArn",
        "maxIngestionAge",
        "auditChecks",
    ):
        assert field in text
    explained = installed.run("explain", "gdprmonitorings.spec.logs.retentionDays").stdout
    assert "storage limitation" in explained
    resync = " ".join(
        installed.run("explain", "gdprmonitorings.spec.resyncInterval").stdout.split()
    )
    assert "When not set: 1h if every AwsAccount bound" in resync
    assert "otherwise 5m" in resync


def test_kubectl_explain_says_what_admins_permit_tenants(installed: Kubectl) -> None:
    permissions = installed.run("explain", "awsaccounts.spec.permissions", "--recursive").stdout
    for field in (
        "additionalPolicyArns",
        "attachAgentPoliciesToInstanceRoles",
        "replaceOtherInstanceProfiles",
        "adoptGuardDutyDetectors",
    ):
        assert field in permissions
    assert "never by a GdprMonitoring" in " ".join(permissions.split())
    asked = installed.run(
        "explain", "gdprmonitorings.spec.instances.instanceProfile.additionalPolicyArns"
    ).stdout
    assert "spec.permissions.additionalPolicyArns" in " ".join(asked.split())


_CONSTRAINTS = frozenset(
    {
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "required",
        "format",
        "x-kubernetes-validations",
    }
)
_FIELD_NAMED = re.compile(r"spec\.([\w.\[\]]+)")


def _constrained_fields(schema: dict[str, Any], path: str = "") -> dict[str, dict[str, Any]]:
    """The fields the schema constrains, by dotted path (lists as [], map values as {})."""
    found = {path: schema} if path and _CONSTRAINTS & schema.keys() else {}
    for name, field in schema.get("properties", {}).items():
        found |= _constrained_fields(field, f"{path}.{name}" if path else name)
    if "items" in schema:
        found |= _constrained_fields(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        found |= _constrained_fields(schema["additionalProperties"], f"{path}{{}}")
    return found


def _covered(field: str, schema: dict[str, Any], named: set[str]) -> bool:
    """A case names the field; or, when all it constrains is which keys are required, a case
    leaves out each of them."""
    if field in named or field.removesuffix("{}") in named:
        return True
    only_required = not (_CONSTRAINTS - {"required"}) & schema.keys()
    return only_required and all(f"{field}.{key}" in named for key in schema["required"])


@pytest.mark.parametrize("kind", ["GdprMonitoring", "AwsAccount"])
def test_the_table_rejects_something_in_every_constrained_field(kind: str) -> None:
    crd = yaml.safe_load((CRDS / f"{kind.lower()}s.monitoring.gdpr.io.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    named = {
        re.sub(r"\[\d+\]", "[]", found.group(1))
        for base, _, _, expected in MALFORMED
        if base["kind"] == kind
        for found in [_FIELD_NAMED.search(expected)]
        if found
    }
    uncovered = {
        field
        for field, schema in _constrained_fields(spec).items()
        if not _covered(field, schema, named)
    }
    assert not uncovered, f"no malformed case names {sorted(uncovered)}"
