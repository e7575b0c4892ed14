"""Fixtures for the delivery tests: the upstream reference data, promtool, kubectl, helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.deploy import reference_dir
from fixtures.helm import Helm
from fixtures.tools import pinned


@pytest.fixture(scope="session")
def reference() -> Path:
    return reference_dir()


@pytest.fixture(scope="session")
def promtool() -> Path:
    return pinned("promtool")


@pytest.fixture(scope="session")
def kubectl_binary() -> Path:
    """The pinned kubectl, for `kubectl kustomize`."""
    return pinned("kubectl")


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """The pinned helm, its folders in a temporary directory; no cluster."""
    return Helm(pinned("helm"), tmp_path_factory.mktemp("helm"))
