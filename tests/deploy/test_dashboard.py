"""dashboards/gdpr-operator.json: every query selects only metrics the operator exports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdpr_operator.reconcilers import audit as audit_checks

from fixtures.dashboard import dashboard as shipped_dashboard
from fixtures.dashboard import row
from fixtures.deploy import promtool_run
from fixtures.promql import (
    exported_metric_names,
    grafana_query_metric_names,
    metric_names,
    monitoring_metric_names,
)


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _queries() -> list[tuple[str, str]]:
    dashboard = shipped_dashboard()
    queries = [
        (f"{panel['title']} {target['refId']}", target["expr"])
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            queries.append(
                (f"${variable['name']}", query["query"] if isinstance(query, dict) else query)
            )
    return queries


@pytest.mark.parametrize(("where", "expr"), _queries(), ids=lambda value: value)
def test_queries_select_only_exported_metrics(where: str, expr: str) -> None:
    names = grafana_query_metric_names(expr) if where.startswith("$") else metric_names(expr)
    assert names, f"{where}: no metric in {expr!r}"
    unknown = names - exported_metric_names()
    assert unknown == set(), f"{where}: not exported by the operator: {sorted(unknown)}"


def _panel_queries_of_monitorings() -> list[tuple[str, str]]:
    return [
        (where, expr)
        for where, expr in _queries()
        if not where.startswith("$") and metric_names(expr) & monitoring_metric_names()
    ]


@pytest.mark.parametrize(("where", "expr"), _panel_queries_of_monitorings(), ids=lambda v: v)
def test_queries_of_a_monitorings_series_follow_the_namespace_variable(
    where: str, expr: str
) -> None:
    """Every series about a GdprMonitoring carries its tenant's namespace (honorLabels keeps
    it as scraped), so each panel over them honours $namespace."""
    assert 'namespace=~"$namespace"' in expr, where


@pytest.mark.parametrize(
    ("where", "expr"),
    [
        (where, expr)
        for where, expr in _queries()
        if not where.startswith("$") and not metric_names(expr) & monitoring_metric_names()
    ],
    ids=lambda v: v,
)
def test_queries_of_operator_wide_series_do_not_follow_the_namespace_variable(
    where: str, expr: str
) -> None:
    """The operator's own series (reconciles, AWS API calls, AWS change events) have no
    namespace of their own: they carry the scrape target's, the operator's, which the
    namespace variable (the tenants' namespaces) does not list."""
    assert "$namespace" not in expr, where


def test_promtool_parses_every_panel_query(promtool: Path, tmp_path: Path) -> None:
    """Each panel query, Grafana's $__rate_interval read as 5m, is valid PromQL (as a
    recording rule's expression; the other variables are inside label matchers' strings)."""
    panels = [(where, expr) for where, expr in _queries() if not where.startswith("$")]
    rules = [
        {"record": f"dashboard:query_{index}", "expr": expr.replace("$__rate_interval", "5m")}
        for index, (_, expr) in enumerate(panels)
    ]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = promtool_run(promtool, "check", "rules", str(path))
    assert f"SUCCESS: {len(rules)} rules found" in checked


def test_dashboard_shows_the_aws_change_events() -> None:
    """The "AWS change events" row: events received by outcome and by component, drift they
    found, the change-to-repair latency quantiles by component, and the events hub's health
    by its account and region; grouped only by the labels these series have (component,
    outcome, le; account, region)."""
    exprs = {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in row("AWS change events")
    }
    assert len(exprs) == 5, sorted(exprs)
    queries = [expr for targets in exprs.values() for expr in targets]
    assert set().union(*map(metric_names, queries)) == {
        "gdpr_drift_events_received_total",
        "gdpr_drift_events_drift_detected_total",
        "gdpr_drift_event_to_repair_seconds_bucket",
        "gdpr_events_hub_healthy",
    }
    assert exprs["Events hub healthy"] == ["min by (account, region) (gdpr_events_hub_healthy)"]
    received = "rate(gdpr_drift_events_received_total[$__rate_interval])"
    assert exprs["AWS change events by outcome"] == [f"sum by (outcome) ({received})"]
    assert exprs["AWS change events by component"] == [f"sum by (component) ({received})"]
    bucket = "rate(gdpr_drift_event_to_repair_seconds_bucket[$__rate_interval])"
    assert exprs["Change to repair latency"] == [
        f"histogram_quantile({q}, sum by (component, le) ({bucket}))" for q in (0.5, 0.9, 0.99)
    ]
    for expr in queries:
        grouped = set(re.findall(r"by \(([^)]*)\)", expr))
        assert grouped <= {"outcome", "component", "component, le", "account, region"}, expr
        assert "{" not in expr, f"these series carry no tenant's labels: {expr}"


def test_dashboard_shows_what_issue_7_asks_for() -> None:
    used = set().union(
        *(metric_names(expr) for where, expr in _queries() if not where.startswith("$"))
    )
    assert {
        "gdpr_check_compliant",
        "gdpr_drift_detected_total",
        "gdpr_remediations_total",
        "gdpr_guardduty_findings",
        "gdpr_reconcile_duration_seconds_bucket",
        "gdpr_aws_api_calls_total",
    } <= used
    exprs = " ".join(expr for _, expr in _queries())
    assert "histogram_quantile(" in exprs
    assert 'outcome="throttled"' in exprs


def test_the_audit_checks_table_lists_every_audit_check() -> None:
    (panel,) = (p for p in _panels(shipped_dashboard()["panels"]) if p["title"] == "Audit checks")
    (listed,) = re.findall(r'check=~"([^"]+)"', panel["targets"][0]["expr"])
    audit = {getattr(audit_checks, name)().check.id for name in audit_checks.__all__}
    assert set(listed.split("|")) == audit


def test_panels_are_well_formed() -> None:
    dashboard = shipped_dashboard()
    panels = list(_panels(dashboard["panels"]))
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            refs = [target["refId"] for target in panel["targets"]]
            assert refs, panel["title"]
            assert len(refs) == len(set(refs)), panel["title"]
    names = [variable["name"] for variable in dashboard["templating"]["list"]]
    assert names[0] == "datasource"
    for _, expr in _queries():
        for variable in ("namespace", "account", "region"):
            if f"${variable}" in expr:
                assert variable in names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (check) (increase(gdpr_drift_detected_total{check=~"a|b"}[$__rate_interval]))',
            {"gdpr_drift_detected_total"},
        ),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m] offset 1h)))", {"x_bucket"}),
        (
            "a / on (service) group_left (operation) b > bool 1e3 and c unless d or vector(0)",
            {"a", "b", "c", "d"},
        ),
        (
            'absent(up{job=~".*gdpr-operator.*"} == 1) and absent(gdpr_reconcile_total)',
            {"up", "gdpr_reconcile_total"},
        ),
        ('time() - m{x="sum(y)"} > 3600', {"m"}),
        ("sum without (instance) (rate(ns:metric:rate5m[1h:5m]))", {"ns:metric:rate5m"}),
    ],
)
def test_metric_name_extraction(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
