"""Drift to alert through real servers: Prometheus discovers the running operator through the
local API server as the shipped ServiceMonitor says, evaluates the shipped PrometheusRule
(only its `for:` and `keep_firing_for:` shortened) and sends to Alertmanager, which delivers
to a webhook receiver in this test. Everything is asserted through Prometheus's and
Alertmanager's own HTTP APIs.

Three tenants, each a namespace with its own account and GdprMonitoring `web` (resync 30s):
GuardDuty disabled by someone in an Observe account; the same in an Enforce account; a
high-severity finding in a third, which is then deleted. The three changes are made at once,
so the scenarios' waits overlap; one Prometheus, one Alertmanager and the session's operator
serve them all. A fourth, with AWS change events on (resync 1h), has its detector disabled
by another principal: the dashboard's "AWS change events" row, its queries as shipped,
evaluated by this Prometheus.
"""

from __future__ import annotations

import math
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gdpr_operator.aws import Target
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.cluster import Kubectl, wait_for
from fixtures.dashboard import row
from fixtures.estate import TENANT_REGION, Tenant, new_tenant
from fixtures.monitoring import (
    METRICS_SERVICE,
    MonitoringStack,
    RuleTiming,
    scraping_operator,
)
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess
from fixtures.sandbox import sandbox_call

pytestmark = pytest.mark.e2e

RESYNC = "30s"
TIMING = RuleTiming(for_="10s", keep_firing_for="0s")
DETECTOR_CHECK = "guardduty.detector_enabled"
ALERT_WAIT = 120.0
"""Seconds from a change to its alert: a resync (30s, jittered) plus the timer's tick, the
pass, a scrape, `for:`, and Alertmanager's group wait, with room for a loaded machine."""
EVENT_WAIT = 30.0
"""Seconds from a change, with events on, to its series in Prometheus: the event's delivery
and pass (about a second), a scrape (2s), with room for a loaded machine; the resync is 1h."""
RATE_INTERVAL = "1m"
"""What the dashboard's $__rate_interval stands for here: Grafana's is at least four scrape
intervals; a minute keeps one event in the window while the test looks."""
HANDOVER_BRIDGE = 120.0
"""Seconds an alert outlives its last series: the rules' last_over_time(...[2m]), which
carries an alert across a handover between sharded replicas."""


@dataclass(frozen=True)
class Tenants:
    observe: Tenant
    enforce: Tenant
    findings: Tenant
    changed_at: float
    """When the three changes were made in AWS."""


@pytest.fixture(scope="module")
def stack(
    operator: OperatorProcess, installed: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MonitoringStack]:
    directory = tmp_path_factory.mktemp("monitoring")
    with scraping_operator(installed, operator.metrics_url, directory, TIMING) as running:
        yield running


def _compliant_in_prometheus(stack: MonitoringStack, tenant: Tenant) -> bool:
    selector = f'namespace="{tenant.namespace}",check="{DETECTOR_CHECK}"'
    return stack.prometheus.values(f"gdpr_check_compliant{{{selector}}}") == ["1"]


@pytest.fixture(scope="module")
def tenants(stack: MonitoringStack, installed: Kubectl, sandbox_url: str) -> Tenants:
    """The three tenants, compliant as Prometheus sees it, then changed in AWS at once."""
    observe, enforce, findings = (
        new_tenant(installed, sandbox_url, policy, guardduty=guardduty, resync=RESYNC)
        for policy, guardduty in (("Observe", True), ("Enforce", False), ("Observe", True))
    )
    for tenant in (observe, enforce, findings):
        wait_for(
            f"{tenant.namespace}'s GuardDuty compliant in Prometheus",
            lambda tenant=tenant: _compliant_in_prometheus(stack, tenant),
            timeout=ALERT_WAIT,
        )
    changed_at = time.time()
    for tenant in (observe, enforce):  # someone disables GuardDuty
        tenant.enable_guardduty(sandbox_url, False)
    SandboxControl(sandbox_url).seed_findings(
        findings.account.account_id,
        TENANT_REGION,
        [{"type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8.0}],
    )
    return Tenants(observe, enforce, findings, changed_at)


def _firing(stack: MonitoringStack, alertname: str, labels: dict[str, str]) -> dict[str, Any]:
    alerts: list[dict[str, Any]] = wait_for(
        f"{alertname} firing for {labels}",
        lambda: [
            a
            for a in stack.prometheus.alerts(alertname=alertname, **labels)
            if a["state"] == "firing"
        ],
        timeout=ALERT_WAIT,
    )
    (alert,) = alerts
    return alert


def _delivered(
    stack: MonitoringStack, status: str, alertname: str, labels: dict[str, str]
) -> float:
    """When the receiver got `alertname` with `labels` in `status`; waits for it."""
    deliveries = wait_for(
        f"{alertname} {status} at the receiver with {labels}",
        lambda: stack.receiver.received(status, alertname=alertname, **labels),
        timeout=ALERT_WAIT,
    )
    return float(deliveries[0].received_at)


def _report(what: str, changed_at: float, **moments: float) -> None:
    parts = ", ".join(f"{name} +{moment - changed_at:.1f}s" for name, moment in moments.items())
    sys.stderr.write(f"\n{what}: {parts}\n")


def test_prometheus_discovers_the_operator_as_the_servicemonitor_says(
    stack: MonitoringStack, tenants: Tenants, operator: OperatorProcess
) -> None:
    (target,) = [
        t for t in stack.prometheus.targets() if t["labels"].get("service") == METRICS_SERVICE
    ]
    assert target["health"] == "up", target
    port = urllib.parse.urlparse(operator.metrics_url).port
    assert target["scrapePool"] == "serviceMonitor/gdpr-system/gdpr-operator/0"
    assert target["labels"] == {
        "job": METRICS_SERVICE,  # what the rules' up{job=~".*gdpr-operator.*"} expects
        "namespace": OPERATOR_NAMESPACE,
        "service": METRICS_SERVICE,
        "endpoint": "metrics",
        "instance": f"127.0.0.1:{port}",
    }
    # honorLabels: the tenant's namespace survives the scrape; nothing is renamed.
    ready = stack.prometheus.query(
        f'gdpr_monitoring_ready{{namespace="{tenants.observe.namespace}"}}'
    )
    assert [sample["metric"]["monitoring"] for sample in ready] == ["web"]
    assert stack.prometheus.query('{exported_namespace!=""}') == []
    # Series of the operator itself take the target's namespace.
    (errors,) = stack.prometheus.query('gdpr_reconcile_total{result="error"}')
    assert errors["metric"]["namespace"] == OPERATOR_NAMESPACE
    # The dashboard's namespace variable: label_values(gdpr_monitoring_ready, namespace).
    namespaces = stack.prometheus.label_values("namespace", "gdpr_monitoring_ready")
    assert {t.namespace for t in (tenants.observe, tenants.enforce, tenants.findings)} <= set(
        namespaces
    )
    assert OPERATOR_NAMESPACE not in namespaces


def test_guardduty_disabled_in_observe_is_pending_then_firing_then_delivered(
    stack: MonitoringStack, tenants: Tenants, sandbox_url: str
) -> None:
    tenant = tenants.observe
    alert = _firing(stack, "GdprGuardDutyDisabled", tenant.labels)
    assert alert["labels"]["check"] == DETECTOR_CHECK
    assert alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["runbook_url"].endswith("/docs/runbooks/GdprGuardDutyDisabled.md")
    assert f"GdprMonitoring {tenant.namespace}/web" in alert["annotations"]["description"]
    delivered = _delivered(stack, "firing", "GdprGuardDutyDisabled", tenant.labels)
    states = stack.prometheus.first_states("GdprGuardDutyDisabled", tenant.labels)
    assert set(states) == {"pending", "firing"}, states
    assert states["pending"] < states["firing"], states
    (managed,) = stack.alertmanager.alerts(alertname="GdprGuardDutyDisabled", **tenant.labels)
    assert managed["status"]["state"] == "active"
    # Observe wrote nothing: GuardDuty stays off.
    assert tenant.guardduty_status(sandbox_url) == "DISABLED"
    _report(
        "Observe, GuardDuty disabled (resync 30s, scrape 2s, evaluation 1s, for 10s)",
        tenants.changed_at,
        pending=states["pending"],
        firing=states["firing"],
        delivered=delivered,
    )


def test_a_high_severity_finding_fires_its_alert(stack: MonitoringStack, tenants: Tenants) -> None:
    labels = {**tenants.findings.labels, "finding_severity": "high"}
    alert = _firing(stack, "GdprGuardDutyHighSeverityFindings", labels)
    assert alert["value"] in ("1", "1e+00"), alert
    assert alert["annotations"]["runbook_url"].endswith(
        "/docs/runbooks/GdprGuardDutyHighSeverityFindings.md"
    )
    delivered = _delivered(stack, "firing", "GdprGuardDutyHighSeverityFindings", labels)
    _report("High-severity finding", tenants.changed_at, delivered=delivered)


def test_drift_in_enforce_is_repaired_and_its_alert_fires_then_resolves(
    stack: MonitoringStack, tenants: Tenants, sandbox_url: str
) -> None:
    tenant = tenants.enforce
    labels = {"namespace": tenant.namespace, "monitoring": "web", "check": DETECTOR_CHECK}
    _firing(stack, "GdprComplianceDrift", labels)
    fired = _delivered(stack, "firing", "GdprComplianceDrift", labels)
    assert tenant.guardduty_status(sandbox_url) == "ENABLED"
    # Repaired in the pass that saw it: GuardDuty was never reported disabled.
    assert stack.prometheus.first_states("GdprGuardDutyDisabled", tenant.labels) == {}
    resolved = _delivered(stack, "resolved", "GdprComplianceDrift", labels)
    assert stack.prometheus.alerts(alertname="GdprComplianceDrift", **labels) == []
    assert stack.alertmanager.alerts(alertname="GdprComplianceDrift", **labels) == []
    _report("Enforce, GuardDuty disabled", tenants.changed_at, delivered=fired, resolved=resolved)


def test_a_deleted_monitoring_leaves_no_series_and_its_alerts_resolve(
    stack: MonitoringStack, tenants: Tenants, installed: Kubectl, operator: OperatorProcess
) -> None:
    tenant = tenants.findings
    alert_labels = {**tenant.labels, "finding_severity": "high"}
    _firing(stack, "GdprGuardDutyHighSeverityFindings", alert_labels)
    selector = f'{{namespace="{tenant.namespace}"}}'
    assert stack.prometheus.query(f"count({selector})")  # its series, ALERTS among them

    installed.run("delete", "gdprmonitoring", "web", "-n", tenant.namespace)
    wait_for(
        f"no series left with namespace {tenant.namespace}",
        lambda: stack.prometheus.query(selector) == [],  # ALERTS among them
        timeout=60 + HANDOVER_BRIDGE,
    )
    assert f'namespace="{tenant.namespace}"' not in operator.metrics()
    _delivered(stack, "resolved", "GdprGuardDutyHighSeverityFindings", alert_labels)
    wait_for(
        "Alertmanager to hold no active alert of the deleted monitoring",
        lambda: stack.alertmanager.alerts(namespace=tenant.namespace) == [],
        timeout=60,
    )


def _row_queries(title: str) -> dict[str, list[str]]:
    """The queries of the dashboard's panels under the row `title`, by panel title, with
    $__rate_interval resolved."""
    return {
        panel["title"]: [
            target["expr"].replace("$__rate_interval", RATE_INTERVAL) for target in panel["targets"]
        ]
        for panel in row(title)
    }


def test_a_change_event_shows_in_the_change_events_row_and_fires_the_drift_alert(
    stack: MonitoringStack, installed: Kubectl, sandbox_url: str, sandbox: SandboxControl
) -> None:
    tenant = new_tenant(
        installed, sandbox_url, "Enforce", guardduty=False, resync="1h", drift_events="Managed"
    )  # the detector the operator makes is its own to repair
    account = tenant.account.account_id
    wait_for(
        f"{tenant.namespace}'s GuardDuty compliant in Prometheus",
        lambda: _compliant_in_prometheus(stack, tenant),
        timeout=ALERT_WAIT,
    )
    wait_for(
        "the operator polling the tenant's queue",
        lambda: sandbox.call_count("sqs", "ReceiveMessage", account=account),
        timeout=EVENT_WAIT,
    )
    queries = _row_queries("AWS change events")
    by_outcome = queries.pop("AWS change events by outcome")
    by_component = queries.pop("AWS change events by component")
    found = queries.pop("Drift found by change events")
    latency = queries.pop("Change to repair latency")
    assert list(queries) == ["Events hub healthy"]  # the hub's: the session runs none

    changed_at = time.time()
    alice = Target(other_principal(account, "alice"), TENANT_REGION)
    sandbox_call(
        sandbox_url,
        alice,
        "guardduty",
        "update_detector",
        DetectorId=tenant.detector(sandbox_url),
        Enable=False,
    )

    def positive(expr: str, **labels: str) -> list[float]:
        return [
            float(sample["value"][1])
            for sample in stack.prometheus.query(expr)
            if labels.items() <= sample["metric"].items() and float(sample["value"][1]) > 0
        ]

    # Other tests' events come through the same operator: each panel must show this one's
    # component, and the drift it found; rate() sees the first event since the series are
    # born at 0.
    wait_for(
        "the event acted on, by outcome",
        lambda: positive(by_outcome[0], outcome="acted"),
        timeout=EVENT_WAIT,
    )
    wait_for(
        "the event, by component",
        lambda: positive(by_component[0], component="GuardDuty"),
        timeout=EVENT_WAIT,
    )
    wait_for(
        "the drift the event found",
        lambda: positive(found[0], component="GuardDuty"),
        timeout=EVENT_WAIT,
    )
    seen = time.time()
    quantiles = [positive(expr, component="GuardDuty") for expr in latency]
    assert all(len(q) == 1 and math.isfinite(q[0]) and q[0] <= 10 for q in quantiles), quantiles
    assert tenant.guardduty_status(sandbox_url) == "ENABLED"
    labels = {"namespace": tenant.namespace, "monitoring": "web", "check": DETECTOR_CHECK}
    _firing(stack, "GdprComplianceDrift", labels)
    delivered = _delivered(stack, "firing", "GdprComplianceDrift", labels)
    _report(
        "Enforce, events on, GuardDuty disabled by alice (resync 1h)",
        changed_at,
        row=seen,
        delivered=delivered,
    )
