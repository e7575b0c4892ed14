"""The image's install steps replayed outside a container engine: the build context as
.dockerignore makes it, the Dockerfile's pip commands with its hashed locks, into a
virtualenv without pip, as the build stage does (on this machine's Python 3.11, not the base
image's). What the image ships then runs: every module imports with the locked dependencies
alone, and the sandbox, which needs its extra, is left out and says so."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from fixtures.deploy import REPO
from fixtures.dockerfile import copy_context, stages

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, gdpr_operator
names = [m.name for m in pkgutil.walk_packages(gdpr_operator.__path__, "gdpr_operator.")]
for name in names:
    if not name.endswith(".__main__"):
        importlib.import_module(name)
print(len(names))
"""


def _run(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    ran = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, timeout=600
    )
    if check:
        assert ran.returncode == 0, f"{' '.join(map(str, command))}:\n{ran.stdout}\n{ran.stderr}"
    return ran


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The image's virtualenv, installed as the Dockerfile does, and the wheel it holds."""
    build_stage = " ".join(" ".join(stages(REPO / "Dockerfile")[0].all("RUN")).split())
    work = tmp_path_factory.mktemp("image")
    context, venv, tools, dist = (work / name for name in ("context", "venv", "build", "dist"))
    copy_context(REPO, REPO / ".dockerignore", context)
    pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python")
    assert "python -m venv --without-pip /opt/gdpr-operator" in build_stage
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    assert "install --require-hashes --no-deps -r requirements.lock" in build_stage
    _run(*pip, "install", "--require-hashes", "--no-deps", "-r", context / "requirements.lock")
    assert "install --require-hashes --no-deps -r requirements-build.lock" in build_stage
    _run(sys.executable, "-m", "venv", tools)
    _run(
        tools / "bin" / "pip",
        "install",
        "--require-hashes",
        "--no-deps",
        "-r",
        context / "requirements-build.lock",
    )
    assert "wheel --no-build-isolation --no-deps" in build_stage
    _run(tools / "bin" / "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", dist, context)
    [wheel] = dist.glob("gdpr_operator-*.whl")
    _run(*pip, "install", "--no-deps", "--no-index", wheel)
    _run(*pip, "check")
    return venv, wheel


def test_the_wheel_ships_the_data_the_package_reads_and_not_the_sandbox(
    image: tuple[Path, Path],
) -> None:
    """Whatever the package reads through its symlinks (the CRDs, the agent presets) is in
    the wheel built from the context; the sandbox is not."""
    _, wheel = image
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "operator" / "gdpr_operator"
    links = sorted(path for path in package.rglob("*") if path.is_symlink())
    assert links, "expected the package's data symlinks (model/crds, ...)"
    missing = [
        f"gdpr_operator/{link.relative_to(package).as_posix()}/{data.name}"
        for link in links
        for data in sorted(link.resolve().glob("*.yaml"))
    ]
    assert [name for name in missing if name not in names] == [], (
        "not in the wheel (add to [tool.setuptools.package-data])"
    )
    assert not [name for name in names if name.startswith("gdpr_operator/sandbox/")]
    assert any(name.endswith("licenses/LICENSE") for name in names)


def test_every_module_the_image_ships_runs_with_the_locked_dependencies(
    image: tuple[Path, Path],
) -> None:
    venv, _ = image
    imported = _run(venv / "bin" / "python", "-c", IMPORT_EVERY_MODULE)
    assert int(imported.stdout) > 50
    assert _run(venv / "bin" / "python", "-c", "import pip", check=False).returncode != 0
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert _run(venv / "bin" / "gdpr-operator", "--version").stdout == f"gdpr-operator {version}\n"


def test_the_sandbox_says_it_is_not_installed(image: tuple[Path, Path], tmp_path: Path) -> None:
    """Left out of the image; and from a full install without the sandbox extra, moto is
    missing: either way a clear error, exit 2, no traceback."""
    venv, _ = image
    left_out = _run(venv / "bin" / "gdpr-operator", "sandbox", check=False)
    assert left_out.returncode == 2
    assert "gdpr_operator.sandbox is missing" in left_out.stderr
    assert "pip install 'gdpr-operator[sandbox]'" in left_out.stderr
    assert "Traceback" not in left_out.stderr

    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, REPO)
    [full] = tmp_path.glob("gdpr_operator-*.whl")
    assert "gdpr_operator/sandbox/__init__.py" in zipfile.ZipFile(full).namelist()
    pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python")
    _run(*pip, "install", "--no-deps", "--no-index", "--force-reinstall", full)
    without_moto = _run(venv / "bin" / "gdpr-operator", "sandbox", check=False)
    assert without_moto.returncode == 2
    assert "moto is missing" in without_moto.stderr
    assert "Traceback" not in without_moto.stderr
