"""`gdpr-operator audit` and `remediate`: one pass over the objects of a file, no cluster."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, TextIO

from gdpr_operator import engine
from gdpr_operator.aws import Aws
from gdpr_operator.cli._checks import article_labels
from gdpr_operator.cli._manifests import Inputs, Monitoring
from gdpr_operator.cli._table import aligned
from gdpr_operator.engine import CredentialsUnavailableError, Outcome, external_id
from gdpr_operator.model import ManagementPolicy, SecretRef
from gdpr_operator.reconcilers import all_checks
from gdpr_operator.report import result_counts

EXIT_COMPLIANT, EXIT_NON_COMPLIANT, EXIT_ERROR = 0, 1, 2


@dataclasses.dataclass(frozen=True, slots=True)
class Pass:
    monitoring: Monitoring
    outcome: Outcome

    @property
    def label(self) -> str:
        return f"{self.monitoring.namespace}/{self.monitoring.name}"


def run_pass(inputs: Inputs, *, enforce: bool, output: str) -> int:
    """Audit (or remediate) everything in `inputs`; print the report; return the exit code."""
    passes = asyncio.run(_all(inputs, enforce, sys.stderr))
    sys.stdout.write(render_json(passes) if output == "json" else render_table(passes))
    return exit_code(passes)


def exit_code(passes: Sequence[Pass]) -> int:
    if any(p.outcome.refusal or p.outcome.errors or p.outcome.denials for p in passes):
        return EXIT_ERROR
    if any(p.outcome.non_compliant for p in passes):
        return EXIT_NON_COMPLIANT
    return EXIT_COMPLIANT


async def _all(inputs: Inputs, enforce: bool, stderr: TextIO) -> list[Pass]:
    policy = ManagementPolicy.ENFORCE if enforce else ManagementPolicy.OBSERVE

    async def read_external_id(ref: SecretRef) -> str:
        value = inputs.secrets.get(ref.name, {}).get(ref.key)
        if value is None:
            raise CredentialsUnavailableError(
                f"Secret {ref.name} with key {ref.key!r} is not in the file"
            )
        return external_id(value, f"Secret {ref.name} key {ref.key!r}")

    monitorings = list(inputs.monitorings.values())
    live = [engine.LiveMonitoring(m.namespace, m.name, m.spec) for m in monitorings]
    calls = _CallCount()
    async with Aws() as aws, _progress(stderr, len(monitorings), calls):
        aws.observe_calls(calls)
        outcomes = await asyncio.gather(
            *(
                engine.reconcile(
                    engine.Request(
                        namespace=monitoring.namespace,
                        name=monitoring.name,
                        spec=dataclasses.replace(monitoring.spec, management_policy=policy),
                        lookup_account=inputs.accounts.get,
                        read_external_id=read_external_id,
                        aws=aws,
                        live_monitorings=lambda: live,
                    )
                )
                for monitoring in monitorings
            )
        )
    return [Pass(m, o) for m, o in zip(monitorings, outcomes, strict=True)]


@contextlib.asynccontextmanager
async def _progress(stream: TextIO, monitorings: int, calls: _CallCount) -> AsyncIterator[None]:
    """A one-line progress display on a terminal; nothing when output is not a terminal."""
    if not stream.isatty():
        yield
        return
    started = time.monotonic()

    async def tick() -> None:
        while True:
            stream.write(
                f"\r\033[Kchecking {monitorings} GdprMonitoring(s): "
                f"{calls.value} AWS calls, "
                f"{time.monotonic() - started:.1f}s"
            )
            stream.flush()
            await asyncio.sleep(0.2)

    ticker = asyncio.create_task(tick())
    try:
        yield
    finally:
        ticker.cancel()
        stream.write("\r\033[K")
        stream.flush()


class _CallCount:
    """The AWS calls of this pass so far, as Aws.observe_calls tells them (from the threads
    that make them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def __call__(self, service: str, operation: str, action: str) -> None:
        with self._lock:
            self.value += 1


def _articles() -> dict[str, list[str]]:
    return {check.id: article_labels(check) for check in all_checks()}


def _summary(passes: Sequence[Pass]) -> dict[str, Any]:
    results = [r for p in passes for r in p.outcome.results]
    return {
        **result_counts(results, errors=sum(len(p.outcome.errors) for p in passes)),
        "refused": [f"{p.label}: {p.outcome.refusal.message}" for p in passes if p.outcome.refusal],
        "denied": [
            f"{p.label}: {denial.field}: {denial.message}"
            for p in passes
            for denial in p.outcome.denials
        ],
    }


def render_json(passes: Sequence[Pass]) -> str:
    """One JSON document, one check result or error a line: greppable, and encoded by the
    json module's C encoder (a large estate has tens of thousands of results; indenting
    would take the pure-Python one, several times slower)."""
    articles = _articles()
    checks = [
        {**result.to_dict(), "articles": articles.get(result.check, []), "monitoring": p.label}
        for p in passes
        for result in p.outcome.results
    ]
    errors = [
        {**dataclasses.asdict(error), "monitoring": p.label}
        for p in passes
        for error in p.outcome.errors
    ]
    return (
        f'{{"summary": {json.dumps(_summary(passes))},\n'
        f'"checks": [{_one_a_line(checks)}],\n'
        f'"errors": [{_one_a_line(errors)}]}}\n'
    )


def _one_a_line(items: Sequence[dict[str, Any]]) -> str:
    if not items:
        return ""
    return "\n" + ",\n".join(json.dumps(item) for item in items) + "\n"


def render_table(passes: Sequence[Pass]) -> str:
    articles = _articles()
    header = (
        "MONITORING",
        "CHECK",
        "GDPR",
        "ACCOUNT",
        "REGION",
        "RESOURCE",
        "OK",
        "ACTION",
        "REASON",
    )
    rows = [
        (
            p.label,
            r.check,
            ", ".join(articles.get(r.check, [])),
            r.account,
            r.region,
            r.resource or "-",
            "yes" if r.passing else "NO",
            r.action.value,
            r.reason,
        )
        for p in passes
        for r in p.outcome.results
    ]
    rows += [
        (
            p.label,
            e.component,
            "",
            e.account,
            e.region,
            "-",
            "ERROR",
            "-",
            f"{e.reason}: {e.message}",
        )
        for p in passes
        for e in p.outcome.errors
    ]
    lines = aligned(header, rows)
    summary = _summary(passes)
    lines.append("")
    lines.append(
        f"{summary['checks']} check result(s): {summary['compliant']} compliant, "
        f"{summary['nonCompliant']} not compliant, {summary['remediated']} remediated, "
        f"{summary['errors']} error(s)"
    )
    lines += [f"refused: {refusal}" for refusal in summary["refused"]]
    lines += [f"denied: {denial}" for denial in summary["denied"]]
    return "\n".join(lines) + "\n"
