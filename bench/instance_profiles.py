"""Instance profiles at scale against the sandbox (in a process of its own).

Measures, for INSTANCES selected instances in one account and region (default 1000, none
holding a profile at first):
- the wall time of one Enforce pass that converges them from nothing (no role, no profile);
- the AWS calls of the next, converged pass, by operation (target: DescribeInstances at 1000
  a page, DescribeInstanceInformation at 50, each IAM read once; 0 writes), and its time.

    scripts/bench instance_profiles [--instances 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.model import AssumeRole, AwsAccountSpec, SecretRef, parse_monitoring
from gdpr_operator.reconcilers.instance_profiles import AgentRole, InstanceProfiles
from gdpr_operator.sandbox import SandboxControl

from aws_bench_support import large_estate_access, sandbox_process, sandbox_settings

NAMESPACE = "bench"
REGION = "eu-west-1"  # the large seed's first region
COMPONENTS = (AgentRole(), InstanceProfiles())
WRITE_PREFIXES = ("Create", "Add", "Attach", "Associate", "Replace", "Update", "Tag")


def _request(aws: Aws, access: AccountAccess) -> engine.Request:
    account = AwsAccountSpec(
        access.name,
        access.account_id,
        AssumeRole(access.role_arn or "", None, "gdpr-operator", 3600),
        frozenset({NAMESPACE}),
    )

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no Secret in this benchmark: {ref}")

    spec = parse_monitoring(
        {
            "accounts": [access.name],
            "regions": [REGION],
            "managementPolicy": "Enforce",
            "guardDuty": {"enabled": False},
            "auditChecks": [],
            "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
        }
    )
    return engine.Request(
        NAMESPACE, "instance-profiles", spec, {access.name: account}.get, no_secret, aws
    )


async def _run(url: str, instances: int) -> dict[str, float]:
    control = SandboxControl(url)
    (access,) = large_estate_access(1)
    async with Aws(sandbox_settings(url)) as aws:
        request = _request(aws, access)
        control.clear_calls()
        started = time.perf_counter()
        converging = await engine.reconcile(request, COMPONENTS)
        converge_seconds = time.perf_counter() - started
        assert not converging.errors, converging.errors[:3]
        attached = [r for r in converging.results if r.check == "ec2.instance_profile_attached"]
        assert len(attached) == instances
        assert all(r.passing for r in attached)
        converging_writes = _count(control, writes=True)

        control.clear_calls()
        started = time.perf_counter()
        converged = await engine.reconcile(request, COMPONENTS)
        converged_seconds = time.perf_counter() - started
        assert all(r.compliant for r in converged.results), [
            r for r in converged.results if not r.compliant
        ][:3]
    reads = _count(control, writes=False)
    return {
        "converge_seconds": converge_seconds,
        "converge_writes": sum(converging_writes.values()),
        **{f"reads {operation}": count for operation, count in sorted(reads.items())},
        "converged_writes": sum(_count(control, writes=True).values()),
        "converged_seconds": converged_seconds,
    }


def _count(control: SandboxControl, *, writes: bool) -> Counter[str]:
    """Calls by service:operation (STS's AssumeRole aside), writes or reads."""
    calls = Counter[str]()
    for call in control.calls():
        if call["service"] != "sts" and call["operation"].startswith(WRITE_PREFIXES) == writes:
            calls[f"{call['service']}:{call['operation']}"] += call["count"]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        seed = [
            "--seed",
            "large",
            "--accounts",
            "1",
            "--regions",
            "1",
            "--instances",
            str(args.instances),
            "--log-groups",
            "0",
        ]
        with sandbox_process(seed) as url:
            runs.append(asyncio.run(_run(url, args.instances)))
    for key in runs[0]:
        values = [run.get(key, 0.0) for run in runs]
        print(
            f"{key:52} median {statistics.median(values):9.3f}   "
            f"runs {', '.join(f'{v:.3f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
