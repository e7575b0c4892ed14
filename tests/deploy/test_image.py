"""The container image's recipe: a pinned and hashed, labelled, pip-free, non-root
`gdpr-operator run`. No container engine runs here: the Dockerfile is checked statically, and
its install steps are replayed (test_image_build.py) with the same pip commands, locks and
build context, into a virtualenv of this machine's Python 3.11 rather than the base image's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from fixtures.deploy import REPO, find, kustomize
from fixtures.dockerfile import final_stage, stages

DOCKERFILE = REPO / "Dockerfile"
LOCKS = (REPO / "requirements.lock", REPO / "requirements-build.lock")
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def locked(lock: Path) -> dict[str, tuple[Version, list[str]]]:
    """Each pin of a lock: its version and hashes."""
    pins = {}
    text = re.sub(r"\\\n", " ", lock.read_text())
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", line)
        assert match, f"{lock.name}: not an exact pin with hashes: {line!r}"
        hashes = re.findall(r"sha256:([0-9a-f]{64})", match.group(3))
        pins[canonicalize_name(match.group(1))] = (Version(match.group(2)), hashes)
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
    assert {stage.base for stage in stages(DOCKERFILE)} == {"${PYTHON_IMAGE}"}


def test_every_install_is_from_a_hashed_lock_and_offline_for_the_package() -> None:
    installs = [
        run for stage in stages(DOCKERFILE) for run in stage.all("RUN") if " install " in run
    ]
    requirement_files = set()
    for run in installs:
        for command in run.split("&&"):
            if " install " not in command:
                continue
            if " -r " in command:
                assert "--require-hashes" in command, command
                assert "--no-deps" in command, command  # the lock holds every dependency
                requirement_files.add(command.split(" -r ")[1].split()[0])
            else:
                assert "--no-index" in command, f"an install from outside the locks: {command}"
    assert requirement_files == {lock.name for lock in LOCKS}
    assert "--no-build-isolation" in DOCKERFILE.read_text(), "the wheel's build tools are locked"


def test_the_final_stage_has_no_pip() -> None:
    final = final_stage(DOCKERFILE)
    assert not any(" install " in run for run in final.runs)
    [uninstall] = [run for run in final.runs if "pip uninstall" in run]
    assert "pip setuptools wheel" in uninstall
    assert "ensurepip" in uninstall
    build = stages(DOCKERFILE)[0]
    assert any("venv --without-pip /opt/gdpr-operator" in run for run in build.all("RUN"))
    assert final.copies == ["--from=build /opt/gdpr-operator /opt/gdpr-operator"]


def test_oci_labels_say_what_the_project_does() -> None:
    labels = final_stage(DOCKERFILE).labels
    urls = PROJECT["project"]["urls"]
    assert labels == {
        "org.opencontainers.image.title": PROJECT["project"]["name"],
        "org.opencontainers.image.description": PROJECT["project"]["description"],
        "org.opencontainers.image.version": PROJECT["project"]["version"],
        "org.opencontainers.image.licenses": PROJECT["project"]["license"],
        "org.opencontainers.image.source": urls["Source"],
        "org.opencontainers.image.url": urls["Homepage"],
        "org.opencontainers.image.documentation": urls["Documentation"],
        "org.opencontainers.image.revision": "${REVISION}",
    }


def test_locks_pin_and_hash_every_dependency_within_its_range() -> None:
    runtime, build = (locked(lock) for lock in LOCKS)
    for specs, pins in (
        (PROJECT["project"]["dependencies"], runtime),
        (PROJECT["build-system"]["requires"], build),
    ):
        for spec in specs:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not pinned: run scripts/lock-requirements"
            version, hashes = pins[name]
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{requirement.name}=={version} is outside {requirement.specifier}: "
                f"run scripts/lock-requirements"
            )
            assert hashes
    dev_only = {"pytest", "moto", "ruff", "mypy"}
    assert dev_only.isdisjoint(runtime), "the runtime lock holds the runtime dependencies only"
