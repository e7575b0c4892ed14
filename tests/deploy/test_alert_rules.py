"""The alert rules: one source (rules.yaml), promtool-checked and unit-tested, and only
metrics that the operator exports (or, explicitly, will export)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.deploy import REPO, promtool_run
from fixtures.promql import exported_metric_names, metric_names

COMPONENT = REPO / "deploy" / "components" / "prometheusrule"
RULES = COMPONENT / "rules.yaml"
RUNBOOKS = REPO / "docs" / "runbooks"
RUNBOOK_BASE = (
    yaml.safe_load((REPO / "deploy" / "chart" / "Chart.yaml").read_text())["home"]
    + "/blob/main/docs/runbooks"
)
"""The runbooks in the project's repository, the chart's home."""
RUNBOOK_SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Fix", "## Silencing")
PROMETHEUS_RULE = COMPONENT / "prometheusrule.yaml"
PROMTOOL_TESTS = sorted((Path(__file__).parent / "promtool").glob("*.yaml"))

PROMETHEUS_SERIES = {"up"}
"""Series that Prometheus itself writes for every scrape target."""

NOT_YET_EXPORTED: set[str] = set()
"""docs/ARCHITECTURE.md's metrics referenced by rules before their exporters land. Remove each
entry in the change that exports it (test_not_yet_exported_allowance_is_minimal says when)."""


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _source_of(alert: str) -> str:
    """The lines of rules.yaml from `- alert: ALERT` to the next rule or group, comments
    included (what yaml.safe_load drops)."""
    lines = RULES.read_text().splitlines()
    start = lines.index(f"      - alert: {alert}")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("- ")),
        len(lines),
    )
    return "\n".join(lines[start:end])


def test_prometheusrule_carries_the_rules_file() -> None:
    """The chart renders it from rules.yaml (scripts/generate-manifests writes it here; the
    chart's tests check it is current)."""
    rule = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


def test_promtool_checks_the_rules(promtool: Path) -> None:
    checked = promtool_run(promtool, "check", "rules", str(RULES))
    assert f"SUCCESS: {len(_rules())} rules found" in checked


def test_promtool_unit_tests_pass(promtool: Path) -> None:
    assert PROMTOOL_TESTS, "no promtool tests found"
    promtool_run(promtool, "test", "rules", *map(str, PROMTOOL_TESTS), timeout=120)


def test_every_alert_has_a_case_that_fires_and_one_that_stays_silent() -> None:
    fires: set[str] = set()
    silent: set[str] = set()
    for path in PROMTOOL_TESTS:
        document = yaml.safe_load(path.read_text())
        assert document["rule_files"] == ["../../../deploy/components/prometheusrule/rules.yaml"]
        for case in document["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    assert alerts - fires == set(), "alerts with no promtool case that fires"
    assert alerts - silent == set(), "alerts with no promtool case that stays silent"


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule.get("alert") or rule["record"])
def test_rules_use_only_exported_metrics(rule: dict[str, Any]) -> None:
    allowed = exported_metric_names() | PROMETHEUS_SERIES | NOT_YET_EXPORTED
    names = metric_names(rule["expr"])
    assert names, f"no metric found in {rule['expr']!r}"
    assert names <= allowed, f"not exported by the operator: {sorted(names - allowed)}"
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert {"summary", "description"} <= set(rule["annotations"])


def test_not_yet_exported_allowance_is_minimal() -> None:
    exported = exported_metric_names()
    assert NOT_YET_EXPORTED & exported == set(), "exported now: remove from NOT_YET_EXPORTED"
    used = set().union(*(metric_names(rule["expr"]) for rule in _rules()))
    assert NOT_YET_EXPORTED - used == set(), "allowed but used by no rule"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_waits_or_says_why_not(alert: dict[str, Any]) -> None:
    if "for" not in alert:
        assert "# No `for:`: " in _source_of(alert["alert"]), (
            f"{alert['alert']} has no for: and no comment saying why"
        )


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_links_its_runbook(alert: dict[str, Any]) -> None:
    name = alert["alert"]
    assert alert["annotations"]["runbook_url"] == f"{RUNBOOK_BASE}/{name}.md"
    runbook = (RUNBOOKS / f"{name}.md").read_text()
    assert runbook.startswith(f"# {name}\n")
    headings = [line for line in runbook.splitlines() if line.startswith("## ")]
    assert tuple(headings) == RUNBOOK_SECTIONS, name


def test_every_runbook_is_an_alerts() -> None:
    pages = {path.stem for path in RUNBOOKS.glob("*.md")} - {"README"}
    assert pages == {alert["alert"] for alert in _alerts()}
    index = (RUNBOOKS / "README.md").read_text()
    for page in pages:
        assert f"[{page}.md]({page}.md)" in index, page
