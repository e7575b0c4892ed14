"""The pinned helm, run as a user would, and what it renders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from _deploy import REPO

from fixtures.tools import run_tool

CHART = REPO / "deploy" / "chart"
HELM_RELEASE_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")
"""The labels that describe a Helm release, which deploy/base leaves out."""

Object = dict[str, Any]


class Helm:
    """helm with folders of its own (config, cache, data) and, for cluster commands, one
    kubeconfig."""

    def __init__(self, binary: Path, home: Path, kubeconfig: Path | None = None) -> None:
        self.binary = binary
        self.home = home
        self.kubeconfig = kubeconfig

    def against(self, kubeconfig: Path) -> Helm:
        return Helm(self.binary, self.home, kubeconfig)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        return run_tool([str(self.binary), *args], check=check, timeout=120, env=env)

    def template(self, *args: str, chart: Path = CHART) -> str:
        """`helm template gdpr-operator CHART -n gdpr-system ARGS`'s output."""
        return self.run("template", "gdpr-operator", str(chart), "-n", "gdpr-system", *args).stdout

    def objects(self, *args: str, chart: Path = CHART) -> list[Object]:
        return [doc for doc in yaml.safe_load_all(self.template(*args, chart=chart)) if doc]


def sets(*values: str) -> list[str]:
    """`--set` arguments, one per NAME=VALUE."""
    return [arg for value in values for arg in ("--set", value)]


def key(obj: Object) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def by_key(objects: list[Object]) -> dict[tuple[str, str, str], Object]:
    keyed = {key(obj): obj for obj in objects}
    assert len(keyed) == len(objects), "two objects of one kind, namespace and name"
    return keyed


def without_release_labels(obj: Object) -> Object:
    labels = {
        k: v for k, v in obj["metadata"].get("labels", {}).items() if k not in HELM_RELEASE_LABELS
    }
    return {**obj, "metadata": {**obj["metadata"], "labels": labels}}
