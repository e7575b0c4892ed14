"""What a pass meets unexpectedly in Kubernetes ends that pass visibly, through the real API
server: Synced=False with a reason naming it, Ready=False, gdpr_monitoring_ready 0, an Event.
The Ready=True of an earlier pass never stands; once repaired, the next pass is Ready again.

Met here: an ExternalId Secret whose value is not UTF-8, then the API server refusing the
operator's Secret reads (403: its Role no longer grants them)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from fixtures.cluster import Kubectl, conditions_of, wait_for, wait_ready
from fixtures.estate import apply_guarded_estate
from fixtures.faults import FaultEstate, wait_for_condition
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess

pytestmark = pytest.mark.e2e

SECRETS_ROLE = "gdpr-operator-secrets"
"""The shipped Role that lets the operator read Secrets (and hold its Lease)."""


def _revoke_secret_reads(admin: Kubectl) -> str:
    """Take `get secrets` out of the operator's Role; returns the Role as it was."""
    shipped = admin.run("get", "role", SECRETS_ROLE, "-n", OPERATOR_NAMESPACE, "-o", "json").stdout
    role = json.loads(shipped)
    role["rules"] = [rule for rule in role["rules"] if "secrets" not in rule["resources"]]
    admin.run("replace", "-f", "-", stdin=json.dumps(role))
    return shipped


def _ready_gauge(operator: OperatorProcess, namespace: str) -> float | None:
    for line in operator.metrics().splitlines():
        if line.startswith("gdpr_monitoring_ready{") and f'namespace="{namespace}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def _reconciles(operator: OperatorProcess, result: str) -> float:
    found = re.search(
        rf'^gdpr_reconcile_total{{result="{result}"}} (\S+)$', operator.metrics(), re.M
    )
    return float(found.group(1)) if found else 0.0


def _warned(admin: Kubectl, namespace: str, reason: str, naming: str) -> bool:
    return any(
        event["type"] == "Warning" and event["reason"] == reason and naming in event["message"]
        for event in admin.events(namespace, "web")
    )


def _seen_failing(
    admin: Kubectl, operator: OperatorProcess, estate: FaultEstate, naming: str
) -> None:
    errors_before = _reconciles(operator, "error")
    shown = wait_for_condition(
        admin, estate, "Synced", reason="CredentialsUnavailable", naming=naming
    )
    assert f"Secret {OPERATOR_NAMESPACE}/external-id-{estate.namespace}" in shown["message"]
    conditions = conditions_of(admin, estate.namespace)
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == (
        "False",
        "CredentialsUnavailable",
    )
    wait_for("gdpr_monitoring_ready 0", lambda: _ready_gauge(operator, estate.namespace) == 0)
    assert _reconciles(operator, "error") > errors_before
    wait_for(
        "a Warning Event naming it",
        lambda: _warned(admin, estate.namespace, "CredentialsUnavailable", naming),
    )


def test_a_secret_that_does_not_decode_then_refused_secret_reads_end_the_pass_not_ready(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    guarded = apply_guarded_estate(
        installed, OPERATOR_NAMESPACE, managementPolicy="Enforce", resyncInterval="30s"
    )
    namespace, secret, external_id = guarded.namespace, guarded.secret, guarded.external_id
    wait_ready(installed, namespace, "True", timeout=120)
    wait_for("gdpr_monitoring_ready 1", lambda: _ready_gauge(operator, namespace) == 1)
    estate = FaultEstate(namespace, guarded.account, {})

    def set_secret(value_base64: str) -> None:
        installed.run(
            "patch",
            "secret",
            secret,
            "-n",
            OPERATOR_NAMESPACE,
            "--type=merge",
            "-p",
            f'{{"data": {{"externalId": "{value_base64}"}}}}',
        )

    set_secret("//5pZA==")  # b"\xff\xfeid": not UTF-8
    _seen_failing(installed, operator, estate, "is not UTF-8 text")

    set_secret(base64.b64encode(external_id.encode()).decode())
    wait_ready(installed, namespace, "True", timeout=120)

    shipped = _revoke_secret_reads(installed)
    try:
        _seen_failing(installed, operator, estate, "unreadable: HTTP 403 Forbidden")
    finally:
        role = json.loads(shipped)
        role["metadata"] = {"name": SECRETS_ROLE, "namespace": OPERATOR_NAMESPACE}
        installed.run("apply", "-f", "-", stdin=json.dumps(role))
    wait_ready(installed, namespace, "True", timeout=120)
    assert external_id not in operator.log.read_text()
