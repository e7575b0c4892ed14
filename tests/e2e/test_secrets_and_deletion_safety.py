"""Secrets stay secret, and deletion never changes AWS beyond what the policy says."""

from __future__ import annotations

import pytest

from gdpr_operator.aws import AccountAccess
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.cluster import Kubectl, new_namespace, wait_for, wait_ready
from fixtures.estate import apply_estate, apply_guarded_estate
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess

pytestmark = pytest.mark.e2e


def test_the_external_id_never_appears_in_status_events_logs_or_metrics(
    operator: OperatorProcess,
    installed: Kubectl,
) -> None:
    guarded = apply_guarded_estate(installed, OPERATOR_NAMESPACE, managementPolicy="Enforce")
    namespace, account, secret = guarded.namespace, guarded.account, guarded.secret
    external_id = guarded.external_id
    wait_ready(installed, namespace, "True")

    # A wrong ExternalId too: the AccessDenied it causes must not echo either value.
    installed.run(
        "create",
        "secret",
        "generic",
        f"{secret}-wrong",
        "-n",
        OPERATOR_NAMESPACE,
        f"--from-literal=externalId={external_id}-wrong",
    )
    apply_estate(
        installed,
        namespace,
        account,
        f"{secret}-wrong",
        managementPolicy="Enforce",
        resyncInterval="10m",
    )
    wait_ready(installed, namespace, "False", generation=2)

    status = installed.run("get", "gdprmonitoring", "web", "-n", namespace, "-o", "json").stdout
    account_status = installed.run("get", "awsaccount", namespace, "-o", "json").stdout
    events = installed.run("get", "events", "-A", "-o", "json").stdout
    for where, text in (
        ("status", status),
        ("AwsAccount status", account_status),
        ("events", events),
        ("operator log", operator.log.read_text()),
        ("metrics", operator.metrics()),
    ):
        assert external_id not in text, f"the ExternalId leaked into the {where}"


def test_retain_changes_nothing_in_aws_on_delete(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    namespace = new_namespace(installed)
    apply_estate(
        installed, namespace, scratch_account, managementPolicy="Enforce", deletionPolicy="Retain"
    )
    wait_ready(installed, namespace, "True")
    sandbox.clear_calls()
    installed.run("delete", "gdprmonitoring", "web", "-n", namespace, "--wait=false")
    wait_for(
        "the object to be gone", lambda: not installed.exists("gdprmonitoring", "web", namespace)
    )
    assert writes(sandbox, scratch_account) == []
