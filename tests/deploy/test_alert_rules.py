"""The alert rules: one source (rules.yaml), promtool-checked and unit-tested, and only
metrics that the operator exports (or, explicitly, will export)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from _deploy import REPO
from _promql import exported_metric_names, metric_names

COMPONENT = REPO / "deploy" / "components" / "prometheusrule"
RULES = COMPONENT / "rules.yaml"
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


def test_prometheusrule_carries_the_rules_file() -> None:
    """The chart renders it from rules.yaml (scripts/generate-manifests writes it here; the
    chart's tests check it is current)."""
    rule = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


def test_promtool_checks_the_rules(promtool: Path) -> None:
    checked = subprocess.run(
        [str(promtool), "check", "rules", str(RULES)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in checked.stdout


def test_promtool_unit_tests_pass(promtool: Path) -> None:
    assert PROMTOOL_TESTS, "no promtool tests found"
    tested = subprocess.run(
        [str(promtool), "test", "rules", *map(str, PROMTOOL_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


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
