"""Shared helpers of the delivery tests: paths, the reference data, rendered manifests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from fixtures.cluster import Kubectl

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference"
"""Upstream data (prometheus-operator and Argo CD CRDs, Argo CD health tests), each with its
LICENSE and a SOURCE.md saying where and which version it came from."""


def reference_dir() -> Path:
    return REFERENCE


def kustomize(kubectl: Path, directory: Path) -> list[dict[str, Any]]:
    """The objects that `kubectl kustomize DIRECTORY` renders."""
    built = subprocess.run(
        [str(kubectl), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert built.returncode == 0, f"kubectl kustomize {directory} failed:\n{built.stderr}"
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def install_third_party_crds(admin: Kubectl, reference: Path) -> None:
    """The prometheus-operator and Argo CD CRDs (from tests/reference), established, and
    Argo CD's namespace."""
    crds = [
        *sorted((reference / "prometheus-operator").glob("*.yaml")),
        reference / "argo-cd" / "application-crd.yaml",
        reference / "argo-cd" / "appproject-crd.yaml",
    ]
    for crd in crds:  # server-side: these CRDs exceed client-side apply's annotation limit
        admin.run("apply", "--server-side", "-f", str(crd))
    for name in (
        "servicemonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com",
        "applications.argoproj.io",
        "appprojects.argoproj.io",
    ):
        admin.run("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")
    admin.run("create", "namespace", "argocd", check=False)


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def promtool_run(promtool: Path, *args: str, timeout: float = 60) -> str:
    """`promtool ARGS`, asserted to succeed; its standard output."""
    ran = subprocess.run(
        [str(promtool), *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout
