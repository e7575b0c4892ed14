"""Fixtures for the delivery tests: the upstream reference data, promtool, kubectl."""

from __future__ import annotations

from pathlib import Path

import pytest
from _deploy import reference_dir

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
