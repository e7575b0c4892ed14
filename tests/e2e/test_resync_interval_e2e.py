"""The resync interval in force, in the status: 5m by default for an account with events
Off, 1h once its events are on (the mode change seen at once), the spec's own when set."""

from __future__ import annotations

import json

import pytest

from gdpr_operator.aws import AccountAccess

from fixtures.cluster import Kubectl, new_namespace, wait_for
from fixtures.estate import apply_estate
from fixtures.operator import OperatorProcess

pytestmark = pytest.mark.e2e


def _interval(admin: Kubectl, namespace: str) -> object:
    return (
        admin.get("gdprmonitoring", "web", namespace).get("status", {}).get("resyncIntervalSeconds")
    )


def _shows(admin: Kubectl, namespace: str, seconds: float) -> None:
    wait_for(
        f"status.resyncIntervalSeconds {seconds}",
        lambda: _interval(admin, namespace) == seconds,
        timeout=60,
    )


def test_the_status_shows_which_default_applies(
    operator: OperatorProcess, installed: Kubectl, scratch_account: AccountAccess
) -> None:
    namespace = new_namespace(installed)
    # Observe, events Off, resyncInterval not set (the API server fills in no default).
    apply_estate(installed, namespace, scratch_account, drift_events="Off")
    spec = installed.get("gdprmonitoring", "web", namespace)["spec"]
    assert "resyncInterval" not in spec
    _shows(installed, namespace, 300)

    # Events on (External: the operator writes nothing for them): a pass at once, 1h.
    events = json.dumps({"spec": {"events": {"mode": "External"}}})
    installed.run("patch", "awsaccount", namespace, "--type=merge", "-p", events)
    _shows(installed, namespace, 3600)

    # An explicit interval wins; removing it brings the default back.
    explicit = json.dumps({"spec": {"resyncInterval": "2m"}})
    installed.run("patch", "gdprmonitoring", "web", "-n", namespace, "--type=merge", "-p", explicit)
    _shows(installed, namespace, 120)
    unset = json.dumps([{"op": "remove", "path": "/spec/resyncInterval"}])
    installed.run("patch", "gdprmonitoring", "web", "-n", namespace, "--type=json", "-p", unset)
    _shows(installed, namespace, 3600)
