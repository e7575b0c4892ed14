"""Fixtures for the delivery tests: the upstream reference data, promtool, kubectl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _deploy import REPO, reference_dir


@pytest.fixture(scope="session")
def reference() -> Path:
    return reference_dir()


@pytest.fixture(scope="session")
def promtool() -> Path:
    """The pinned promtool, built once (scripts/build-promtool) and cached."""
    built = subprocess.run(
        [str(REPO / "scripts" / "build-promtool")],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if built.returncode != 0:
        pytest.fail(f"scripts/build-promtool failed:\n{built.stderr[-5000:]}")
    return Path(built.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def kubectl_binary() -> Path:
    """The pinned kubectl (scripts/local-cluster build), for `kubectl kustomize`."""
    built = subprocess.run(
        [str(REPO / "scripts" / "local-cluster"), "build"],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return Path(built.stdout.strip().splitlines()[-1]) / "kubectl"
