"""The scrape configuration the end-to-end tests give Prometheus is the shipped
ServiceMonitor's, translated as prometheus-operator does (tests/fixtures/monitoring.py):
valid for the pinned Prometheus, and refusing what it cannot translate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fixtures.deploy import promtool_run
from fixtures.monitoring import SERVICE_MONITOR, LocalScrape, load_yaml, scrape_configs


def _promtool_check(promtool: Path, directory: Path, configs: list[dict[str, object]]) -> None:
    config = directory / "prometheus.yml"
    config.write_text(yaml.safe_dump({"scrape_configs": configs}))
    promtool_run(promtool, "check", "config", str(config))


def test_the_translation_is_a_valid_prometheus_configuration(
    promtool: Path, tmp_path: Path
) -> None:
    configs = scrape_configs(load_yaml(SERVICE_MONITOR))
    assert [config["job_name"] for config in configs] == [
        "serviceMonitor/gdpr-system/gdpr-operator/0"
    ]
    _promtool_check(promtool, tmp_path, configs)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    _promtool_check(promtool, tmp_path, [LocalScrape(kubeconfig).apply(c) for c in configs])


def test_honor_labels_follows_the_servicemonitor() -> None:
    monitor = load_yaml(SERVICE_MONITOR)
    (shipped,) = scrape_configs(monitor)
    assert shipped["honor_labels"] is True
    del monitor["spec"]["endpoints"][0]["honorLabels"]
    (default,) = scrape_configs(monitor)
    assert default["honor_labels"] is False


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("endpoint", "relabelings"),
        ("endpoint", "metricRelabelings"),
        ("spec", "namespaceSelector"),
        ("spec", "jobLabel"),
        ("selector", "matchExpressions"),
    ],
)
def test_a_field_the_translation_does_not_know_fails(where: str, field: str) -> None:
    monitor = load_yaml(SERVICE_MONITOR)
    place = {
        "endpoint": monitor["spec"]["endpoints"][0],
        "spec": monitor["spec"],
        "selector": monitor["spec"]["selector"],
    }[where]
    place[field] = []
    with pytest.raises(AssertionError, match=field):
        scrape_configs(monitor)
