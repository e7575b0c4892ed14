"""The Argo CD health checks for GdprMonitoring (deploy/components/argocd-health/health.lua)
and AwsAccount (awsaccount-health.lua there), run by the real Lua 5.1 interpreter on cases in
Argo CD's own health_test.yaml format; and the harness itself, proven to convert Argo CD's
reference testdata faithfully."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gdpr_operator.model import openapi_schema

from fixtures.deploy import REPO, reference_dir
from fixtures.lua import lua_literal, round_trip, run_health

COMPONENT = REPO / "deploy" / "components" / "argocd-health"
CASES_DIR = Path(__file__).parent / "argocd-health"
SCRIPTS = {
    "GdprMonitoring": (COMPONENT / "health.lua", CASES_DIR),
    "AwsAccount": (COMPONENT / "awsaccount-health.lua", CASES_DIR / "awsaccount"),
}
"""Each kind's health script and the directory of its cases."""


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


def _all_cases() -> list[tuple[str, Path, dict[str, str]]]:
    return [
        (kind, path, expected)
        for kind, (_, directory) in SCRIPTS.items()
        for path, expected in _cases(directory)
    ]


def _degraded_reasons(directory: Path) -> set[str]:
    reasons = set()
    for path, expected in _cases(directory):
        if expected["status"] == "Degraded":
            conditions = yaml.safe_load(path.read_text())["status"]["conditions"]
            reasons.add(next(c["reason"] for c in conditions if c["type"] == "Ready"))
    return reasons


@pytest.mark.parametrize(
    ("kind", "input_path", "expected"),
    _all_cases(),
    ids=lambda value: value.stem if isinstance(value, Path) else "",
)
def test_health(kind: str, input_path: Path, expected: dict[str, str]) -> None:
    obj = yaml.safe_load(input_path.read_text())
    status, message = run_health(SCRIPTS[kind][0], obj)
    assert (status, message) == (expected["status"], expected.get("message") or "")


@pytest.mark.parametrize("kind", SCRIPTS)
def test_every_health_status_is_covered(kind: str) -> None:
    cases = _cases(SCRIPTS[kind][1])
    assert {expected["status"] for _, expected in cases} == {"Healthy", "Progressing", "Degraded"}


def test_every_terminal_reason_is_covered() -> None:
    assert _degraded_reasons(CASES_DIR) >= {
        "AccountNotBound",
        "AccountNotFound",
        "InvalidSpec",
        "CredentialsUnavailable",
        "AccessDenied",
        "ChecksFailing",
        "NotRepairable",
        "RepairFailed",
    }
    assert _degraded_reasons(SCRIPTS["AwsAccount"][1]) >= {
        "SecretUnavailable",
        "AccessDenied",
        "AccountMismatch",
    }


def test_enforce_degrades_only_for_what_the_operator_cannot_repair() -> None:
    """Under Enforce, failing checks being repaired (ChecksFailing) are Progressing; those no
    pass will change (NotRepairable, RepairFailed) are Degraded."""
    seen = set()
    for path, expected in _cases(CASES_DIR):
        obj = yaml.safe_load(path.read_text())
        status = obj.get("status", {})
        ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), {})
        if (
            obj["spec"].get("managementPolicy") == "Enforce"
            and status.get("observedGeneration") == obj["metadata"]["generation"]
            and ready.get("reason") in {"ChecksFailing", "NotRepairable", "RepairFailed"}
        ):
            seen.add(ready["reason"])
            repairing = ready["reason"] == "ChecksFailing"
            assert expected["status"] == ("Progressing" if repairing else "Degraded"), path
    assert seen == {"ChecksFailing", "NotRepairable", "RepairFailed"}


@pytest.mark.parametrize(
    ("kind", "input_path"),
    [(kind, path) for kind, path, _ in _all_cases()],
    ids=lambda value: value.stem if isinstance(value, Path) else "",
)
def test_testdata_are_objects_the_api_server_could_hold(kind: str, input_path: Path) -> None:
    """Spec and status fit the CRD schema."""
    obj = yaml.safe_load(input_path.read_text())
    assert obj["apiVersion"] == "monitoring.gdpr.io/v1alpha1"
    assert obj["kind"] == kind
    jsonschema.validate(obj, dict(openapi_schema(kind)))


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
