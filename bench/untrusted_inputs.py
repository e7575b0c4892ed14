"""How long `gdpr-operator audit` takes to refuse hostile or broken files, and its peak RSS.

Each file is audited by a fresh process (`--one FILE`) that reports its own wall time, from
importing the command line to its exit code, and peak RSS (VmHWM); RUNS runs each, medians
printed. No AWS is needed: every file is refused before the first call. Target: each
within seconds, under 200 MB.

    scripts/bench untrusted_inputs --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak_rss import peak_rss_mb

MONITORING = "apiVersion: monitoring.gdpr.io/v1alpha1\nkind: GdprMonitoring\n"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"


def _alias_bomb() -> str:
    lines = [MONITORING + "metadata: {name: x}\nspec:\n  accounts: [prod]"]
    lines.append('  a0: &a0 ["x","x","x","x","x","x","x","x","x"]')
    lines += [f"  a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join([*lines, "  regions: *a9\n"])


CASES: dict[str, str | bytes] = {
    "alias bomb (9**10 strings)": _alias_bomb(),
    "262,144 small documents (14 MB)": "---\n".join([CONFIG_MAP] * 262_144),
    "10,001 small documents": "---\n".join([CONFIG_MAP] * 10_001),
    "a List of 20,000 items": "apiVersion: v1\nkind: List\nitems:\n"
    + "- {apiVersion: v1, kind: ConfigMap}\n" * 20_000,
    "3.9 MB single document": MONITORING
    + "metadata: {name: x}\nspec:\n  accounts: [prod]\n  regions:\n"
    + "  - eu-west-1\n" * 280_000,
    "non-UTF-8 bytes": b"apiVersion: v1\nkind: Secret\nmetadata: {name: \xff\xfe}\n",
    "metadata: [1]": MONITORING + "metadata: [1]\nspec: {accounts: [prod], regions: [x]}\n",
    "a list as a Secret's data": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: [a]\n",
    "10,000-item regions": MONITORING
    + "metadata: {name: x}\nspec: {accounts: [prod], regions: ["
    + ",".join(f"r{i}" for i in range(10_000))
    + "]}\n",
}


def _one(path: str) -> None:
    """In the child: audit `path`, then report wall time, peak RSS and what was printed."""
    started = time.monotonic()
    from gdpr_operator.cli import main  # noqa: PLC0415 - the import is part of what is timed

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["audit", "-f", path])
    print(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "peak_rss_mb": peak_rss_mb(),
                "code": code,
                "message": stderr.getvalue().strip(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one)
        return
    print(f"{'case':34} {'exit':>4} {'seconds':>8} {'peak RSS MB':>11}  message")
    with tempfile.TemporaryDirectory() as directory:
        for case, content in CASES.items():
            path = Path(directory) / "input.yaml"
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--one", str(path)],
                        capture_output=True,
                        text=True,
                        check=True,
                        timeout=600,
                    ).stdout
                )
                for _ in range(args.runs)
            ]
            seconds = statistics.median(run["seconds"] for run in runs)
            rss = statistics.median(run["peak_rss_mb"] for run in runs)
            message = runs[0]["message"].replace(str(path), "FILE")
            print(f"{case:34} {runs[0]['code']:>4} {seconds:>8.2f} {rss:>11.0f}  {message[:90]}")


if __name__ == "__main__":
    main()
