"""The README's runnable examples, run as written: each ```console block whose commands are
gdpr-operator's own (or exports), command by command in one environment, compared with the
output the README shows. A command ending in "&" keeps running in the background once its
shown output appeared. "..." stands for any lines; columns are compared word by word (their
widths follow the content). The one change: the sandbox's port 4566 becomes a free one.

The kubectl blocks show a cluster's state (the demo and the e2e tests exercise those)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.cluster import REPO, free_port
from fixtures.sandbox import AMBIENT_AWS_VARIABLES

README = REPO / "README.md"
README_PORT = "4566"
RUNNABLE = ("gdpr-operator ", "export ")


def _examples() -> list[list[tuple[str, list[str]]]]:
    """Each runnable console block: its (command, shown output lines)."""
    blocks = re.findall(r"^```console\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    examples = []
    for block in blocks:
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        if steps and all(command.startswith(RUNNABLE) for command, _ in steps):
            examples.append(steps)
    return examples


def _matches(shown: list[str], actual: list[str]) -> bool:
    """`actual` as `shown` describes it: lines in order, "..." for any number of lines."""
    words = [line.split() for line in actual]
    position = 0
    pending_gap = False
    for line in shown:
        if line.strip() == "...":
            pending_gap = True
            continue
        while position < len(words) and words[position] != line.split():
            if not pending_gap:
                return False
            position += 1
        if position == len(words):
            return False
        position += 1
        pending_gap = False
    return pending_gap or position == len(words)


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: the venv's gdpr-operator on the PATH, and no AWS configuration
    of this machine's."""
    env = {k: v for k, v in os.environ.items() if k not in AMBIENT_AWS_VARIABLES}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(tmp_path),
    )
    return env


def test_the_readme_has_runnable_examples() -> None:
    commands = [command for steps in _examples() for command, _ in steps]
    assert any(command.startswith("gdpr-operator audit") for command in commands)
    assert any(command.startswith("gdpr-operator sandbox") for command in commands)


def test_the_comparison_can_fail() -> None:
    assert _matches(["a b", "...", "z"], ["a   b", "c", "d", "z"])
    assert not _matches(["a b", "z"], ["a b", "c", "z"])
    assert not _matches(["a b", "...", "y"], ["a b", "c", "z"])


@pytest.mark.parametrize("steps", _examples(), ids=lambda steps: steps[0][0].split()[1])
def test_readme_example_runs_as_written(
    steps: list[tuple[str, list[str]]], shell_env: dict[str, str]
) -> None:
    port = str(free_port())
    exports = ""
    background: list[subprocess.Popen[str]] = []
    try:
        for written, shown_lines in steps:
            command = written.replace(README_PORT, port)
            shown = [line.replace(README_PORT, port) for line in shown_lines]
            if command.startswith("export "):
                exports += f"{command}; "
                continue
            script = exports + command.removesuffix("&").strip()
            if command.endswith("&"):
                process = subprocess.Popen(
                    ["bash", "-c", script],
                    cwd=REPO,
                    env=shell_env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                background.append(process)
                assert process.stdout is not None
                seen = [process.stdout.readline().rstrip("\n") for _ in shown]
                assert _matches(shown, seen), (written, seen)
                continue
            ran = subprocess.run(
                ["bash", "-c", script],
                cwd=REPO,
                env=shell_env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert ran.returncode in (0, 1), f"{written} exited {ran.returncode}:\n{ran.stderr}"
            assert _matches(shown, ran.stdout.splitlines()), (
                f"{shlex.quote(written)} printed:\n{ran.stdout[:4000]}"
            )
    finally:
        for process in background:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
