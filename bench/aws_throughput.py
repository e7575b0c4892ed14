"""Calls per second the aws layer sustains against the sandbox (run on demand).

    scripts/bench aws_throughput [--calls 2000] [--runs 5] [--concurrency 16]

The sandbox (demo seed) runs in a child process; this one makes `--calls` GuardDuty
ListDetectors calls per run through the layer, `--concurrency` in flight, spread over the
demo's two assumed-role accounts and three regions, and prints each run's rate and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time

from gdpr_operator.aws import AccountAccess, Aws, Target

from aws_bench_support import sandbox_process, sandbox_settings

DEMO = [
    AccountAccess(
        name="prod",
        account_id="111111111111",
        role_arn="arn:aws:iam::111111111111:role/gdpr-operator",
        external_id="gdpr-demo-prod",
    ),
    AccountAccess(
        name="shop",
        account_id="222222222222",
        role_arn="arn:aws:iam::222222222222:role/gdpr-operator",
    ),
]
REGIONS = ("eu-west-1", "eu-central-1", "eu-north-1")


async def one_run(url: str, calls: int, concurrency: int) -> float:
    targets = [Target(access, region) for access in DEMO for region in REGIONS]
    settings = sandbox_settings(
        url, max_concurrency=concurrency, per_account_service_concurrency=concurrency
    )
    async with Aws(settings) as layer:
        for target in targets:  # warm: credentials and clients, not measured
            await layer.call(target, "guardduty", "list_detectors")
        started = time.perf_counter()
        await asyncio.gather(
            *(
                layer.call(target, "guardduty", "list_detectors")
                for target in itertools.islice(itertools.cycle(targets), calls)
            )
        )
        return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with sandbox_process(["--seed", "demo"]) as url:
        rates = []
        for run in range(args.runs):
            rates.append(asyncio.run(one_run(url, args.calls, args.concurrency)))
            print(f"run {run + 1}: {rates[-1]:.0f} calls/s", flush=True)
    print(
        f"median: {statistics.median(rates):.0f} calls/s "
        f"({args.calls} calls, concurrency {args.concurrency})"
    )


if __name__ == "__main__":
    main()
