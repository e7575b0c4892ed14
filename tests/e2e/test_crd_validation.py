"""The API server itself rejects malformed specs, naming the offending field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from fixtures.cluster import Kubectl

MONITORING: dict[str, Any] = {
    "apiVersion": "monitoring.gdpr.io/v1alpha1",
    "kind": "GdprMonitoring",
    "metadata": {"name": "bad", "namespace": "default"},
    "spec": {
        "accounts": ["prod"],
        "regions": ["eu-west-1"],
        "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
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

DELETE = object()

# (base object, dotted path in spec, new value or DELETE, text the error must contain)
MALFORMED = [
    (MONITORING, "accounts", [], "spec.accounts"),
    (MONITORING, "accounts", DELETE, "spec.accounts: Required value"),
    (MONITORING, "accounts", ["Prod_Account"], "spec.accounts[0]"),
    (MONITORING, "regions", ["eu-west"], "spec.regions[0]"),
    (MONITORING, "regions", ["*", "eu-west-1"], "spec.regions"),
    (MONITORING, "managementPolicy", "Fix", "spec.managementPolicy"),
    (MONITORING, "deletionPolicy", "Purge", "spec.deletionPolicy"),
    (MONITORING, "resyncInterval", "5 minutes", "spec.resyncInterval"),
    (MONITORING, "resyncInterval", "10s", "spec.resyncInterval"),
    (MONITORING, "guardDuty.findingPublishingFrequency", "HOURLY",
     "spec.guardDuty.findingPublishingFrequency"),
    (MONITORING, "guardDuty.features", ["MALWARE"], "spec.guardDuty.features[0]"),
    (MONITORING, "guardDuty.enable", True, 'unknown field "spec.guardDuty.enable"'),
    (MONITORING, "instances.selector.tags", {}, "spec.instances.selector.tags"),
    (MONITORING, "instances.selector.tags", {"aws:cloudformation:stack-name": "web"},
     "spec.instances.selector.tags"),
    (MONITORING, "instances.instanceProfile.roleName", "bad name!",
     "spec.instances.instanceProfile.roleName"),
    (MONITORING, "instances.instanceProfile.whenOtherProfileAttached", "Ignore",
     "spec.instances.instanceProfile.whenOtherProfileAttached"),
    (MONITORING, "instances.instanceProfile.additionalPolicyArns", ["ReadOnlyAccess"],
     "spec.instances.instanceProfile.additionalPolicyArns[0]"),
    (MONITORING, "cloudWatchAgent.presets", ["mysql"], "spec.cloudWatchAgent.presets[0]"),
    (MONITORING, "cloudWatchAgent.customLogFiles",
     [{"platform": "Linux", "filePath": "C:\\app\\app.log", "logGroup": "app"}],
     "spec.cloudWatchAgent.customLogFiles[0].filePath"),
    (MONITORING, "logs.retentionDays", 2, "spec.logs.retentionDays"),
    (MONITORING, "logs.retentionDays", 0, "spec.logs.retentionDays"),
    (MONITORING, "logs.groupPrefix", "gdpr/web", "spec.logs.groupPrefix"),
    (MONITORING, "logs.kmsKeyArn",
     "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
     "spec.logs.kmsKeyArn"),
    (MONITORING, "logs.maxIngestionAge", "30s", "spec.logs.maxIngestionAge"),
    (MONITORING, "auditChecks", ["guardduty"], "spec.auditChecks[0]"),
    (ACCOUNT, "accountId", "12345", "spec.accountId"),
    (ACCOUNT, "accountId", DELETE, "spec.accountId: Required value"),
    (ACCOUNT, "assumeRole.roleArn", "arn:aws:iam::222222222222:role/gdpr-operator",
     "spec.assumeRole.roleArn"),
    (ACCOUNT, "assumeRole.roleArn", "gdpr-operator", "spec.assumeRole.roleArn"),
    (ACCOUNT, "assumeRole.durationSeconds", 60, "spec.assumeRole.durationSeconds"),
    (ACCOUNT, "assumeRole.externalIdSecretRef.key", DELETE,
     "spec.assumeRole.externalIdSecretRef.key: Required value"),
    (ACCOUNT, "allowedNamespaces", ["Bad_NS"], "spec.allowedNamespaces[0]"),
]


def _mutated(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = obj["spec"]
    for parent in parents:
        node = node.setdefault(parent, {})
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return obj


@pytest.mark.e2e
@pytest.mark.parametrize(("base", "path", "value", "expected"), MALFORMED,
                         ids=[f"{case[0]['kind']}.{case[1]}={case[2]!r}" for case in MALFORMED])
def test_api_server_rejects_malformed_spec(
    installed: Kubectl, base: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    manifest = yaml.safe_dump(_mutated(base, path, value))
    result = installed.run("create", "--dry-run=server", "-f", "-", stdin=manifest, check=False)
    assert result.returncode != 0, f"accepted: {manifest}"
    assert expected in result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("base", [MONITORING, ACCOUNT], ids=["GdprMonitoring", "AwsAccount"])
def test_api_server_accepts_the_valid_base(installed: Kubectl, base: dict[str, Any]) -> None:
    """The table is only meaningful if each case differs from a valid object in one field."""
    installed.run("create", "--dry-run=server", "-f", "-", stdin=yaml.safe_dump(base))


@pytest.mark.e2e
def test_api_server_fills_in_defaults(installed: Kubectl) -> None:
    result = installed.run("create", "--dry-run=server", "-o", "json", "-f", "-",
                           stdin=yaml.safe_dump(MONITORING))
    spec = yaml.safe_load(result.stdout)["spec"]
    assert spec["managementPolicy"] == "Observe"
    assert spec["deletionPolicy"] == "Retain"
    assert spec["logs"]["retentionDays"] == 365
    assert spec["instances"]["instanceProfile"]["roleName"] == "CloudWatchAgentServerRole"


@pytest.mark.e2e
def test_kubectl_explain_describes_every_spec_field(installed: Kubectl) -> None:
    text = installed.run("explain", "gdprmonitorings.spec", "--recursive").stdout
    for field in ("accounts", "regions", "managementPolicy", "deletionPolicy", "resyncInterval",
                  "findingPublishingFrequency", "whenOtherProfileAttached", "presets",
                  "retentionDays", "kmsKeyArn", "maxIngestionAge", "auditChecks"):
        assert field in text
    explained = installed.run("explain", "gdprmonitorings.spec.logs.retentionDays").stdout
    assert "storage limitation" in explained
