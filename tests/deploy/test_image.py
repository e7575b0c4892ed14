"""The container image's recipe: a pinned, non-root `gdpr-operator run` (no container engine
runs here: the Dockerfile is checked statically, its install steps are replayed in part)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from _deploy import REPO, find, kustomize
from _dockerfile import final_stage
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

DOCKERFILE = REPO / "Dockerfile"
LOCK = REPO / "requirements.lock"
COPIED = ("pyproject.toml", "README.md", "crds", "agent_configs", "operator")
"""What the Dockerfile's build stage copies to build the package."""


def _locked() -> dict[str, Version]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
            assert match, f"not an exact pin: {line!r}"
            pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def test_image_runs_the_operator_as_a_numeric_non_root_user(kubectl_binary: Path) -> None:
    stage = final_stage(DOCKERFILE)
    assert stage.entrypoint == ["gdpr-operator"]
    assert stage.cmd == ["run"]
    uid, _, gid = stage.user.partition(":")
    assert uid.isdigit(), "runAsNonRoot needs a numeric USER"
    assert int(uid) != 0
    assert gid.isdigit()
    assert int(gid) != 0
    pod = find(kustomize(kubectl_binary, REPO / "deploy" / "base"), "Deployment", "gdpr-operator")[
        "spec"
    ]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(uid)
    assert pod["securityContext"]["runAsGroup"] == int(gid)


def test_image_uses_a_slim_python_3_11() -> None:
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", match.group(1))
    assert "pip install --require-virtualenv -r requirements.lock" in DOCKERFILE.read_text()
    assert "--no-deps ." in DOCKERFILE.read_text()


def test_lock_pins_every_runtime_dependency_within_its_range() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = _locked()
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned: run scripts/lock-requirements"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{requirement.name}=={pins[name]} is outside {requirement.specifier}: "
            f"run scripts/lock-requirements"
        )
    dev_only = {"pytest", "moto", "ruff", "mypy"}
    assert dev_only.isdisjoint(pins), "the lock holds the runtime dependencies only"


def test_wheel_ships_the_data_the_package_reads(tmp_path: Path) -> None:
    """The image installs a wheel built from what the Dockerfile copies, not the source tree:
    whatever the package reads through its symlinks (the CRDs, the agent presets) must be
    inside it."""
    copy_sources = {
        source
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    }
    assert set(COPIED) <= copy_sources, "the Dockerfile's build stage must COPY these"
    context = tmp_path / "context"
    for copied in COPIED:
        source = REPO / copied
        if source.is_dir():
            shutil.copytree(
                source,
                context / copied,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            context.mkdir(exist_ok=True)
            shutil.copy(source, context / copied)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(context),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("gdpr_operator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "operator" / "gdpr_operator"
    links = sorted(path for path in package.rglob("*") if path.is_symlink())
    assert links, "expected the package's data symlinks (model/crds, ...)"
    missing = [
        f"gdpr_operator/{link.relative_to(package).as_posix()}/{data.name}"
        for link in links
        for data in sorted(link.resolve().glob("*.yaml"))
    ]
    missing = [name for name in missing if name not in names]
    assert missing == [], "not in the wheel (add to [tool.setuptools.package-data])"
