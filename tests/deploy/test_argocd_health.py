"""The Argo CD health check for GdprMonitoring (deploy/components/argocd-health/health.lua),
run by the real Lua 5.1 interpreter on cases in Argo CD's own health_test.yaml format; and
the harness itself, proven to convert Argo CD's reference testdata faithfully."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from _deploy import REPO, reference_dir
from _lua import lua_literal, round_trip, run_health

from gdpr_operator.model import openapi_schema

HEALTH_LUA = REPO / "deploy" / "components" / "argocd-health" / "health.lua"
CASES_DIR = Path(__file__).parent / "argocd-health"


def _cases(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    tests = yaml.safe_load((directory / "health_test.yaml").read_text())["tests"]
    return [(directory / case["inputPath"], case["healthStatus"]) for case in tests]


def _reference_examples() -> list[Path]:
    examples = sorted(
        path.parent
        for path in (reference_dir() / "argo-cd" / "health-examples").glob("*/health_test.yaml")
    )
    assert examples, "no health_test.yaml under tests/reference/argo-cd/health-examples"
    return examples


@pytest.mark.parametrize(
    ("input_path", "expected"),
    _cases(CASES_DIR),
    ids=lambda value: value.stem if isinstance(value, Path) else "",
)
def test_gdprmonitoring_health(input_path: Path, expected: dict[str, str]) -> None:
    obj = yaml.safe_load(input_path.read_text())
    status, message = run_health(HEALTH_LUA, obj)
    assert (status, message) == (expected["status"], expected.get("message") or "")


def test_every_health_status_and_terminal_reason_is_covered() -> None:
    cases = _cases(CASES_DIR)
    assert {expected["status"] for _, expected in cases} == {"Healthy", "Progressing", "Degraded"}
    degraded_reasons = set()
    for path, expected in cases:
        if expected["status"] == "Degraded":
            ready = next(
                c
                for c in yaml.safe_load(path.read_text())["status"]["conditions"]
                if c["type"] == "Ready"
            )
            degraded_reasons.add(ready["reason"])
    assert degraded_reasons >= {
        "AccountNotBound",
        "AccountNotFound",
        "InvalidSpec",
        "CredentialsUnavailable",
        "AccessDenied",
        "ChecksFailing",
    }


@pytest.mark.parametrize(
    "input_path", [path for path, _ in _cases(CASES_DIR)], ids=lambda path: path.stem
)
def test_testdata_are_valid_gdprmonitorings(input_path: Path) -> None:
    """The cases are objects the API server could hold: spec and status fit the CRD schema."""
    obj = yaml.safe_load(input_path.read_text())
    assert obj["apiVersion"] == "monitoring.gdpr.io/v1alpha1"
    assert obj["kind"] == "GdprMonitoring"
    jsonschema.validate(obj, dict(openapi_schema("GdprMonitoring")))


def test_harness_reports_what_the_script_returns(tmp_path: Path) -> None:
    """A script that returns something else is seen as such (the harness can fail)."""
    script = tmp_path / "health.lua"
    script.write_text(
        'return {status = "Degraded", message = obj.metadata.name .. "\\n" .. #obj.spec.regions}'
    )
    obj = {"metadata": {"name": "wéb"}, "spec": {"regions": ["a", "b"]}}
    assert run_health(script, obj) == ("Degraded", "wéb\n2")
    script.write_text("return {status = os.getenv('HOME')}")  # os is not in Argo CD's VM
    with pytest.raises(AssertionError, match=r"lua5\.1 failed"):
        run_health(script, obj)


@pytest.mark.parametrize("example", _reference_examples(), ids=lambda path: path.name)
def test_harness_converts_reference_objects_faithfully(example: Path) -> None:
    """Argo CD's own testdata objects survive the YAML -> Lua conversion unchanged."""
    for input_path, _ in _cases(example):
        obj = yaml.safe_load(input_path.read_text())
        assert round_trip(obj) == obj, input_path
        assert lua_literal(obj).startswith("{")
