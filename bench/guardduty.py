"""GuardDuty at scale against the sandbox (in a process of its own).

Measures, for ACCOUNTS x REGIONS (default 20 x 17):
- the wall time of one Enforce pass that converges the estate from nothing (no detector
  anywhere: the seed's detectors are deleted first, untimed);
- the AWS calls per account x region of the next, converged pass (target: 2 GuardDuty state
  reads, 0 writes; plus the one GetFindingsStatistics that feeds the findings metric).

    scripts/bench guardduty [--accounts 20] [--regions 17] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import AssumeRole, AwsAccountSpec, SecretRef, parse_monitoring
from gdpr_operator.sandbox import SandboxControl

from aws_bench_support import large_estate_access, sandbox_process, sandbox_settings

NAMESPACE = "bench"


def _request(aws: Aws, accounts: list[AccountAccess], regions: list[str]) -> engine.Request:
    specs = {
        access.name: AwsAccountSpec(
            access.name,
            access.account_id,
            AssumeRole(access.role_arn or "", None, "gdpr-operator", 3600),
            frozenset({NAMESPACE}),
        )
        for access in accounts
    }

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no Secret in this benchmark: {ref}")

    spec = parse_monitoring(
        {
            "accounts": list(specs),
            "regions": regions,
            "managementPolicy": "Enforce",
            "auditChecks": [],
        }
    )
    return engine.Request(NAMESPACE, "guardduty", spec, specs.get, no_secret, aws)


async def _delete_detectors(aws: Aws, accounts: list[AccountAccess], regions: list[str]) -> None:
    async def one(target: Target) -> None:
        for detector in (await aws.call(target, "guardduty", "list_detectors"))["DetectorIds"]:
            await aws.call(target, "guardduty", "delete_detector", DetectorId=detector)

    await asyncio.gather(*(one(Target(a, r)) for a in accounts for r in regions))


async def _run(url: str, accounts: list[AccountAccess], regions: list[str]) -> dict[str, float]:
    control = SandboxControl(url)
    async with Aws(sandbox_settings(url)) as aws:
        await _delete_detectors(aws, accounts, regions)
        request = _request(aws, accounts, regions)
        started = time.perf_counter()
        converging = await engine.reconcile(request)
        converge_seconds = time.perf_counter() - started
        assert not converging.errors, converging.errors[:3]
        assert all(r.passing for r in converging.results)

        control.clear_calls()
        converged = await engine.reconcile(request)
        assert all(r.compliant for r in converged.results)
    calls = Counter[str]()
    for call in control.calls():
        if call["service"] == "guardduty":
            calls[call["operation"]] += call["count"]
    targets = len(accounts) * len(regions)
    writes = sum(n for op, n in calls.items() if not op.startswith(("List", "Get")))
    return {
        "converge_seconds": converge_seconds,
        "state_reads_per_target": (calls["ListDetectors"] + calls["GetDetector"]) / targets,
        "findings_reads_per_target": calls["GetFindingsStatistics"] / targets,
        "writes": writes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        seed = [
            "--seed",
            "large",
            "--accounts",
            str(args.accounts),
            "--regions",
            str(args.regions),
            "--instances",
            "0",
            "--log-groups",
            "0",
        ]
        with sandbox_process(seed) as url:
            from gdpr_operator.sandbox import LargeEstate  # noqa: PLC0415

            regions = list(LargeEstate(regions=args.regions).region_names())
            runs.append(asyncio.run(_run(url, large_estate_access(args.accounts), regions)))
    for key in runs[0]:
        values = [run[key] for run in runs]
        print(
            f"{key:28} median {statistics.median(values):8.3f}   "
            f"runs {', '.join(f'{v:.3f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
