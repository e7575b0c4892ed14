"""Shared by the AWS benchmarks: a sandbox in a process of its own, and its accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from gdpr_operator.aws import AccountAccess, AwsSettings

LARGE_ACCOUNT_BASE = 100000000000
"""The `large` seed's account ids are LARGE_ACCOUNT_BASE + n, named acct-NNN (see
gdpr_operator.sandbox._seeds); restated here so that a benchmark need not import moto."""


@contextmanager
def sandbox_process(arguments: Sequence[str], stderr: TextIO | None = None) -> Iterator[str]:
    """`gdpr-operator sandbox --port 0 ARGUMENTS` in a child process; yields its URL.
    `stderr`: where its log goes (default: this process's)."""
    with subprocess.Popen(
        [sys.executable, "-m", "gdpr_operator.sandbox", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            if not url:
                raise RuntimeError("the sandbox exited before answering")
            yield url
        finally:
            process.terminate()


def live_children_cpu_seconds() -> float:
    """User + system CPU time so far of this process's running children (Linux: /proc): the
    sandbox's, when it is the only child left running."""
    me, ticks = os.getpid(), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == me:  # ppid; utime and stime follow at 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def large_estate_access(accounts: int) -> list[AccountAccess]:
    return [
        AccountAccess(
            name=f"acct-{n:03d}",
            account_id=str(LARGE_ACCOUNT_BASE + n),
            role_arn=f"arn:aws:iam::{LARGE_ACCOUNT_BASE + n}:role/gdpr-operator",
        )
        for n in range(accounts)
    ]


def sandbox_settings(url: str, **overrides: int) -> AwsSettings:
    return AwsSettings(
        endpoint_url=url, static_credentials=("bench", "bench"), sts_region="us-east-1", **overrides
    )
