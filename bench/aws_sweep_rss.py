"""Peak RSS of a process that sweeps a large estate through the aws layer (run on demand).

    scripts/bench aws_sweep_rss [--accounts 100] [--regions 17] [--runs 3]

A sandbox seeded with the `large` estate runs in a child process. Each run is a fresh
process (`--sweep URL`) that, for every account x region, lists GuardDuty detectors and
describes EC2 instances through the layer (default settings: 16 calls in flight, clients
cached LRU), then reports its peak RSS (VmHWM) and duration. Target: < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time

from gdpr_operator.aws import Aws, Target, gather_outcomes

from aws_bench_support import (
    large_estate_access,
    sandbox_process,
    sandbox_settings,
)
from peak_rss import peak_rss_mb

REGIONS = (
    "eu-west-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
)


async def sweep(url: str, accounts: int, regions: int) -> dict[str, float]:
    targets = [
        Target(access, region)
        for access in large_estate_access(accounts)
        for region in REGIONS[:regions]
    ]

    async def read(target: Target) -> int:
        await layer.call(target, "guardduty", "list_detectors")
        instances = 0
        async for page in layer.paginate(target, "ec2", "describe_instances"):
            instances += sum(len(r["Instances"]) for r in page["Reservations"])
        return instances

    started = time.perf_counter()
    async with Aws(sandbox_settings(url)) as layer:
        outcomes = await gather_outcomes(targets, read, timeout_per_target=120)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        first = failed[0]
        raise RuntimeError(f"{len(failed)} targets failed, first: {first.target}: {first.error}")
    return {
        "targets": len(targets),
        "instances": sum(o.value or 0 for o in outcomes),
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sweep", metavar="URL", help=argparse.SUPPRESS)  # one run's child
    args = parser.parse_args()
    if args.sweep:
        print(json.dumps(asyncio.run(sweep(args.sweep, args.accounts, args.regions))))
        return

    seeding = time.perf_counter()
    seed = [
        "--seed",
        "large",
        "--accounts",
        str(args.accounts),
        "--regions",
        str(args.regions),
        "--instances",
        "2",
        "--log-groups",
        "1",
    ]
    with sandbox_process(seed) as url:
        print(f"sandbox seeded in {time.perf_counter() - seeding:.0f} s", flush=True)
        results = []
        for run in range(args.runs):
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--sweep",
                    url,
                    "--accounts",
                    str(args.accounts),
                    "--regions",
                    str(args.regions),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(child.stdout))
            print(f"run {run + 1}: {results[-1]}", flush=True)
    print(
        f"median peak RSS: {statistics.median(r['peak_rss_mb'] for r in results):.0f} MB; "
        f"median sweep: {statistics.median(r['seconds'] for r in results):.1f} s "
        f"({results[0]['targets']} targets, 2 read calls each)"
    )


if __name__ == "__main__":
    main()
