"""The operator end to end on the real control plane, under its shipped RBAC."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess

from fixtures.cluster import Kubectl, new_namespace, wait_for, wait_ready
from fixtures.operator import OPERATOR_NAMESPACE, SERVICE_ACCOUNT, OperatorProcess

pytestmark = pytest.mark.e2e

FINALIZER = "monitoring.gdpr.io/finalizer"


CORE = ("Ready", "Synced", "Compliant")


def _account(
    admin: Kubectl,
    name: str,
    allowed: list[str],
    access: AccountAccess | None = None,
    secret: str | None = None,
) -> None:
    """An AwsAccount for `access` (a sandbox account), or for an account never reached."""
    account_id = access.account_id if access else "999999999999"
    role: dict[str, Any] = {"roleArn": f"arn:aws:iam::{account_id}:role/gdpr-operator"}
    if secret:
        role["externalIdSecretRef"] = {"name": secret, "key": "externalId"}
    admin.apply(
        yaml.safe_dump(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "AwsAccount",
                "metadata": {"name": name},
                "spec": {"accountId": account_id, "assumeRole": role, "allowedNamespaces": allowed},
            }
        )
    )


def _core_events(admin: Kubectl, namespace: str) -> list[dict[str, Any]]:
    """Events about the Ready, Synced and Compliant conditions (not the components')."""
    return [event for event in admin.events(namespace, "web") if event["message"].startswith(CORE)]


def _monitoring(admin: Kubectl, namespace: str, account: str, **spec: Any) -> None:
    admin.apply(
        yaml.safe_dump(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "GdprMonitoring",
                "metadata": {"name": "web", "namespace": namespace},
                # The audit checks are off: a fresh sandbox account has no trail to pass them.
                "spec": {
                    "accounts": [account],
                    "regions": ["eu-west-1"],
                    "auditChecks": [],
                    **spec,
                },
            }
        )
    )


def test_bound_account_becomes_ready_with_conditions_and_events(
    operator: OperatorProcess, installed: Kubectl, scratch_account: AccountAccess
) -> None:
    namespace = new_namespace(installed)
    _account(installed, namespace, [namespace], scratch_account)
    _monitoring(installed, namespace, namespace, managementPolicy="Enforce")

    conditions = wait_ready(installed, namespace, "True")
    assert {name: conditions[name]["status"] for name in CORE} == dict.fromkeys(CORE, "True")
    assert conditions["Synced"]["reason"] == "ReconcileSucceeded"
    assert all(c["observedGeneration"] == 1 for c in conditions.values())
    obj = installed.get("gdprmonitoring", "web", namespace)
    assert FINALIZER in obj["metadata"]["finalizers"]
    (target,) = obj["status"]["summary"]["targets"]
    assert (target["account"], target["region"], target["errors"]) == (namespace, "eu-west-1", 0)
    events = wait_for(
        "three transition events",
        lambda: len(_core_events(installed, namespace)) == 3 and _core_events(installed, namespace),
    )
    assert sorted(event["reason"] for event in events) == [
        "AllChecksCompliant",
        "Ready",
        "ReconcileSucceeded",
    ]
    assert {event["type"] for event in events} == {"Normal"}

    # A spec change is reconciled at the new generation, with no flip: no new Event, and
    # lastTransitionTime stays where it was.
    _monitoring(installed, namespace, namespace, managementPolicy="Enforce", resyncInterval="10m")
    after = wait_ready(installed, namespace, "True", generation=2)
    assert after["Ready"]["lastTransitionTime"] == conditions["Ready"]["lastTransitionTime"]
    assert after["Ready"]["observedGeneration"] == 2
    assert len(_core_events(installed, namespace)) == 3

    metrics = operator.metrics()
    assert f'gdpr_monitoring_ready{{monitoring="web",namespace="{namespace}"}} 1.0' in metrics


def test_account_not_bound_to_the_namespace_is_refused_then_accepted_once_bound(
    operator: OperatorProcess, installed: Kubectl, scratch_account: AccountAccess
) -> None:
    namespace = new_namespace(installed)
    _account(installed, namespace, ["somebody-else"])
    _monitoring(installed, namespace, namespace)

    conditions = wait_ready(installed, namespace, "False")
    assert conditions["Ready"]["reason"] == "AccountNotBound"
    assert namespace in conditions["Ready"]["message"]
    assert "nothing was done in AWS" in conditions["Ready"]["message"]
    assert conditions["Compliant"]["status"] == "Unknown"
    warning = wait_for(
        "a Warning event",
        lambda: [
            e
            for e in installed.events(namespace, "web")
            if e["type"] == "Warning" and e["reason"] == "AccountNotBound"
        ],
    )
    assert namespace in warning[0]["message"]

    # The administrator binds the namespace; the next reconcile (here: a spec change) flips.
    _account(installed, namespace, ["somebody-else", namespace], scratch_account)
    _monitoring(installed, namespace, namespace, resyncInterval="10m", managementPolicy="Enforce")
    flipped = wait_ready(installed, namespace, "True", generation=2)
    assert flipped["Ready"]["lastTransitionTime"] >= conditions["Ready"]["lastTransitionTime"]
    wait_for(
        "a Normal Ready event",
        lambda: [
            e
            for e in installed.events(namespace, "web")
            if e["type"] == "Normal" and e["reason"] == "Ready"
        ],
    )


def test_missing_account_is_refused(operator: OperatorProcess, installed: Kubectl) -> None:
    namespace = new_namespace(installed)
    _monitoring(installed, namespace, "no-such-account")
    conditions = wait_ready(installed, namespace, "False")
    assert conditions["Ready"]["reason"] == "AccountNotFound"
    assert "no-such-account" in conditions["Ready"]["message"]


def test_missing_external_id_secret_is_reported_not_crashed(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    namespace = new_namespace(installed)
    _account(installed, namespace, [namespace], secret=f"absent-{namespace}")
    _monitoring(installed, namespace, namespace)
    conditions = wait_ready(installed, namespace, "False")
    assert conditions["Synced"]["reason"] == "CredentialsUnavailable"
    assert (
        f"Secret {OPERATOR_NAMESPACE}/absent-{namespace} not found"
        in (conditions["Synced"]["message"])
    )


def test_deletion_runs_the_finalizer_and_releases_the_object(
    operator: OperatorProcess, installed: Kubectl, scratch_account: AccountAccess
) -> None:
    namespace = new_namespace(installed)
    _account(installed, namespace, [namespace], scratch_account)
    _monitoring(
        installed, namespace, namespace, deletionPolicy="Retain", managementPolicy="Enforce"
    )
    wait_ready(installed, namespace, "True")

    installed.run("delete", "gdprmonitoring", "web", "-n", namespace, "--wait=false")
    wait_for(
        "the object to be gone (finalizer removed by the operator)",
        lambda: not installed.exists("gdprmonitoring", "web", namespace),
    )
    assert f'namespace="{namespace}"' not in operator.metrics()


def test_operator_identity_is_the_service_account_with_only_what_it_needs(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    me = operator.identity.run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert me.stdout == f"system:serviceaccount:{OPERATOR_NAMESPACE}:{SERVICE_ACCOUNT}"

    def can(*args: str) -> bool:
        return operator.identity.run("auth", "can-i", *args, check=False).stdout.strip() == "yes"

    assert can("get", "secrets", "-n", OPERATOR_NAMESPACE)
    assert not can("list", "secrets", "-n", OPERATOR_NAMESPACE)
    assert not can("get", "secrets", "-n", "default")
    # "RESOURCE/NAME" names an object: a subresource needs --subresource.
    assert can("patch", "gdprmonitorings.monitoring.gdpr.io", "--subresource=status", "-A")
    assert not can("update", "awsaccounts.monitoring.gdpr.io")
    assert not can("patch", "awsaccounts.monitoring.gdpr.io")
    assert can("patch", "awsaccounts.monitoring.gdpr.io", "--subresource=status")
    assert not can("delete", "gdprmonitorings.monitoring.gdpr.io", "-A")
    assert not can("get", "pods", "-A")
