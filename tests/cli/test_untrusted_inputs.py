"""Hostile and broken files given to `audit`: refused with exit 2 and one line naming the
file, the document and the field, never a traceback, in bounded memory (the process runs
under an address-space limit that the unbounded parsing of these files would break).

How long each takes, and its peak memory, is measured by bench/untrusted_inputs.py."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from gdpr_operator.cli._reading import MAX_DEPTH, MAX_INPUT_BYTES, MAX_OBJECTS

ADDRESS_SPACE_LIMIT = 1 << 30
"""1 GiB: the interpreter and the loader need a fraction; the alias bomb alone took 3.7 GB."""

MONITORING = "apiVersion: monitoring.gdpr.io/v1alpha1\nkind: GdprMonitoring\n"


def alias_bomb() -> str:
    """A GdprMonitoring whose regions expand to 9**10 strings through nine levels of aliases."""
    lines = [MONITORING + "metadata: {name: x, namespace: security}\nspec:\n  accounts: [prod]"]
    lines.append('  a0: &a0 ["x","x","x","x","x","x","x","x","x"]')
    lines += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join([*lines, "  regions: *a9\n"])


def many_documents() -> str:
    return "---\n".join(["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"] * 262_144)


HOSTILE = {
    "alias bomb": (alias_bomb(), "document 1: excessive aliasing: its 46 nodes expand to"),
    "more documents than allowed": (
        "---\n".join(["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"] * MAX_OBJECTS)
        + "---\nkind: ConfigMap\n",
        f"document {MAX_OBJECTS + 1}: more than {MAX_OBJECTS:,} objects in all inputs",
    ),
    "256k small documents": (many_documents(), "all inputs together may hold at most 4 MiB"),
    "a List of too many items": (
        "apiVersion: v1\nkind: List\nitems:\n" + "- {apiVersion: v1, kind: ConfigMap}\n" * 20_000,
        f"document 1, item {MAX_OBJECTS}: more than {MAX_OBJECTS:,} objects in all inputs",
    ),
    "deep nesting": (
        "\n".join("  " * level + f"k{level}:" for level in range(MAX_DEPTH + 5)) + " 1\n",
        f"document 1: line 6, column 11: nested deeper than {MAX_DEPTH} levels",
    ),
    "too large": ("a: " + "x" * MAX_INPUT_BYTES + "\n", "at most 4 MiB"),
}


def _audit(path: Path) -> subprocess.CompletedProcess[str]:
    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "gdpr_operator", "audit", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=bounded,
        check=False,
    )


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_in_bounded_memory(case: str, tmp_path: Path) -> None:
    text, message = HOSTILE[case]
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    done = _audit(path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr[-2000:]
    assert done.stderr.startswith(f"gdpr-operator audit: {path}: "), done.stderr
    assert message in done.stderr
    assert len(done.stderr) < 400
