"""AwsAccount status through the operator: each account is checked on its own (ExternalId,
AssumeRole, GetCallerIdentity) against the sandbox, and its status, printer columns and
Events say what was found, and which GdprMonitorings name it."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess
from gdpr_operator.sandbox import operator_access

from fixtures.cluster import Kubectl, new_namespace, wait_for
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess

pytestmark = pytest.mark.e2e

SANDBOX_IDENTITY_ACCOUNT = "123456789012"
"""The account of the operator's own identity in the sandbox (any keys act there)."""


def _account_id() -> str:
    return f"5{secrets.randbelow(10**11):011d}"


def _apply_account(
    admin: Kubectl, name: str, account_id: str, assume_role: dict[str, Any] | None
) -> None:
    spec: dict[str, Any] = {"accountId": account_id, "allowedNamespaces": [name]}
    if assume_role is not None:
        spec["assumeRole"] = assume_role
    admin.apply(
        yaml.safe_dump(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "AwsAccount",
                "metadata": {"name": name},
                "spec": spec,
            }
        )
    )


def _secret(admin: Kubectl, name: str, external_id: str) -> None:
    admin.run(
        "create",
        "secret",
        "generic",
        name,
        "-n",
        OPERATOR_NAMESPACE,
        f"--from-literal=externalId={external_id}",
    )


def _role(access: AccountAccess, secret: str | None = None) -> dict[str, Any]:
    role: dict[str, Any] = {"roleArn": access.role_arn}
    if secret is not None:
        role["externalIdSecretRef"] = {"name": secret, "key": "externalId"}
    return role


def _conditions(admin: Kubectl, name: str) -> dict[str, dict[str, Any]]:
    status = admin.get("awsaccount", name).get("status", {})
    return {condition["type"]: condition for condition in status.get("conditions", [])}


def _wait_ready(admin: Kubectl, name: str, status: str, reason: str) -> dict[str, dict[str, Any]]:
    def shown() -> dict[str, dict[str, Any]] | None:
        conditions = _conditions(admin, name)
        ready = conditions.get("Ready", {})
        return (
            conditions if (ready.get("status"), ready.get("reason")) == (status, reason) else None
        )

    found: dict[str, dict[str, Any]] = wait_for(
        f"AwsAccount {name} Ready={status} ({reason})", shown, timeout=60
    )
    return found


def _events(admin: Kubectl, name: str) -> set[tuple[str, str, str]]:
    """(type, reason, the condition's type) of each Event about AwsAccount `name`."""
    selector = f"involvedObject.kind=AwsAccount,involvedObject.name={name}"
    items = json.loads(
        admin.run("get", "events", "-A", "--field-selector", selector, "-o", "json").stdout
    )["items"]
    return {(e["type"], e["reason"], e["message"].split()[0]) for e in items}


def _summary(conditions: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {kind: (c["status"], c["reason"]) for kind, c in conditions.items()}


def test_a_good_account_is_ready_and_lists_the_monitorings_that_name_it(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    name = new_namespace(installed)
    external_id = f"ext-{secrets.token_hex(8)}"
    access = operator_access(name, _account_id(), external_id)
    _secret(installed, f"{name}-external-id", external_id)
    _apply_account(installed, name, access.account_id, _role(access, f"{name}-external-id"))

    conditions = _wait_ready(installed, name, "True", "Ready")
    assert _summary(conditions) == {
        "Ready": ("True", "Ready"),
        "ExternalIdAvailable": ("True", "SecretRead"),
        "RoleAssumed": ("True", "Assumed"),
        "IdentityVerified": ("True", "AccountMatches"),
    }
    assert "assumed-role/gdpr-operator" in conditions["IdentityVerified"]["message"]
    assert access.account_id in conditions["Ready"]["message"]
    assert external_id not in json.dumps(installed.get("awsaccount", name))
    # One Event per condition that appeared.
    assert _events(installed, name) == {
        ("Normal", "Ready", "Ready"),
        ("Normal", "SecretRead", "ExternalIdAvailable"),
        ("Normal", "Assumed", "RoleAssumed"),
        ("Normal", "AccountMatches", "IdentityVerified"),
    }

    # Two GdprMonitorings name it: one in its namespace, one in a namespace it does not allow.
    other = new_namespace(installed)
    for namespace in (name, other):
        installed.apply(
            yaml.safe_dump(
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": "web", "namespace": namespace},
                    "spec": {"accounts": [name], "regions": ["eu-west-1"], "auditChecks": []},
                }
            )
        )
    status = wait_for(
        "usedBy to list both",
        lambda: (s := installed.get("awsaccount", name)["status"]).get("usedByCount") == 2 and s,
        timeout=30,
    )
    assert status["usedBy"] == sorted(
        [
            {"namespace": name, "name": "web", "bound": True},
            {"namespace": other, "name": "web", "bound": False},
        ],
        key=lambda ref: ref["namespace"],
    )
    row = installed.run("get", "awsaccount", name, "--no-headers").stdout.split()
    assert row[:4] == [name, access.account_id, "True", "2"], row

    installed.run("delete", "gdprmonitoring", "web", "-n", other)
    wait_for(
        "usedBy to drop the deleted one",
        lambda: installed.get("awsaccount", name)["status"].get("usedByCount") == 1,
        timeout=30,
    )


@pytest.mark.parametrize("wrong", ["role", "external_id"])
def test_a_role_that_cannot_be_assumed_is_access_denied(
    operator: OperatorProcess, installed: Kubectl, wrong: str
) -> None:
    name = new_namespace(installed)
    access = operator_access(name, _account_id(), "the-right-one")
    _secret(installed, f"{name}-external-id", "the-right-one" if wrong == "role" else "wrong")
    role = _role(access, f"{name}-external-id")
    if wrong == "role":
        role["roleArn"] = f"arn:aws:iam::{access.account_id}:role/not-there"
    _apply_account(installed, name, access.account_id, role)

    conditions = _wait_ready(installed, name, "False", "AccessDenied")
    assert _summary(conditions) == {
        "Ready": ("False", "AccessDenied"),
        "ExternalIdAvailable": ("True", "SecretRead"),
        "RoleAssumed": ("False", "AccessDenied"),
        "IdentityVerified": ("Unknown", "NotAttempted"),
    }
    message = conditions["RoleAssumed"]["message"]
    assert "sts:AssumeRole" in message
    assert role["roleArn"] in message
    assert "with this ExternalId" in message
    assert "wrong" not in message
    assert "the-right-one" not in message
    assert {
        ("Warning", "AccessDenied", "Ready"),
        ("Warning", "AccessDenied", "RoleAssumed"),
    } <= _events(installed, name)


def test_a_missing_secret_is_reported_and_its_creation_noticed_without_a_spec_change(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    name = new_namespace(installed)
    access = operator_access(name, _account_id(), "later")
    _apply_account(installed, name, access.account_id, _role(access, f"{name}-external-id"))

    conditions = _wait_ready(installed, name, "False", "SecretUnavailable")
    assert _summary(conditions) == {
        "Ready": ("False", "SecretUnavailable"),
        "ExternalIdAvailable": ("False", "SecretUnavailable"),
        "RoleAssumed": ("Unknown", "NotAttempted"),
        "IdentityVerified": ("Unknown", "NotAttempted"),
    }
    assert (
        f"{OPERATOR_NAMESPACE}/{name}-external-id not found"
        in (conditions["ExternalIdAvailable"]["message"])
    )

    # Secrets are not watched (the operator may only get them by name): a failing account is
    # checked again soon (10 s, then doubling), so the new Secret is noticed.
    _secret(installed, f"{name}-external-id", "later")
    _wait_ready(installed, name, "True", "Ready")
    assert {
        ("Warning", "SecretUnavailable", "Ready"),
        ("Normal", "Ready", "Ready"),
        ("Normal", "SecretRead", "ExternalIdAvailable"),
    } <= _events(installed, name)


def test_an_identity_in_another_account_is_an_account_mismatch(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    """Without assumeRole the operator's own identity is used: here it is in the sandbox's
    default account, not the one the AwsAccount declares."""
    name = new_namespace(installed)
    declared = _account_id()
    _apply_account(installed, name, declared, None)

    conditions = _wait_ready(installed, name, "False", "AccountMismatch")
    assert _summary(conditions) == {
        "Ready": ("False", "AccountMismatch"),
        "ExternalIdAvailable": ("True", "NotRequired"),
        "RoleAssumed": ("True", "OperatorIdentity"),
        "IdentityVerified": ("False", "AccountMismatch"),
    }
    message = conditions["IdentityVerified"]["message"]
    assert f"in account {SANDBOX_IDENTITY_ACCOUNT}, not the declared {declared}" in message
