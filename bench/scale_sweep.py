"""One full Observe sweep of a large estate, against the floor of its own read calls.

    .venv/bin/python bench/scale_sweep.py [--accounts 100] [--regions 17] [--instances 10]
                                          [--runs 3]

A sandbox seeded with the `large` estate (ACCOUNTS x REGIONS, INSTANCES web instances per
account-region, no log group) runs in a child process. Then:

1. a warm-up sweep (untimed: moto builds the backends of the services the seed never
   touched, SSM, Logs, IAM, the first time each account-region is read);
2. one sweep whose AWS calls the sandbox counts per (service, operation, account, region):
   that multiset is what a steady-state Observe sweep of this estate costs;
3. RUNS times, alternating: a child process running one sweep (`engine.reconcile`, Observe,
   every component on: GuardDuty, instance profiles, CloudWatch agent, log groups;
   auditChecks []) through the aws layer with its default settings, and a child process
   issuing exactly that multiset of calls with bare boto3 (a pool of 16 threads, as the
   layer's default `max_concurrency`; one client per account x region x service; one
   AssumeRole per account) -- the floor. Each child reports its wall time and its peak RSS
   (VmHWM: its own, not its parent's), which is therefore the peak of that sweep alone.

Targets: sweep within 1.5x of the floor, under 60 s; peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from aws_bench_support import (
    large_estate_access,
    sandbox_process,
    sandbox_settings,
)
from peak_rss import peak_rss_mb

NAMESPACE = "bench"
FLOOR_THREADS = 16
REGIONS = (  # the `large` seed's, in its order (restated: no moto import here)
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
SPEC = {
    "managementPolicy": "Observe",
    "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
    "logs": {"groupPrefix": "/gdpr/web", "retentionDays": 365},
    "auditChecks": [],
}


def _cpu_seconds() -> float:
    """User and system CPU time of this process: on 2 cores, what it takes from the sandbox."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the sweep (a child process) -------------------------------------------------------


def sweep(url: str, accounts: int, regions: int, max_clients: int | None) -> dict[str, Any]:
    from gdpr_operator import engine  # noqa: PLC0415
    from gdpr_operator.aws import Aws  # noqa: PLC0415
    from gdpr_operator.model import AssumeRole, AwsAccountSpec, SecretRef, parse_monitoring  # noqa: PLC0415

    access = large_estate_access(accounts)
    specs = {
        a.name: AwsAccountSpec(
            a.name,
            a.account_id,
            AssumeRole(a.role_arn or "", None, "gdpr-operator", 3600),
            frozenset({NAMESPACE}),
        )
        for a in access
    }

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no Secret in this benchmark: {ref}")

    spec = parse_monitoring({**SPEC, "accounts": list(specs), "regions": list(REGIONS[:regions])})

    async def run() -> Any:
        overrides = {} if max_clients is None else {"max_clients": max_clients}
        async with Aws(sandbox_settings(url, **overrides)) as aws:
            return await engine.reconcile(
                engine.Request(NAMESPACE, "scale", spec, specs.get, no_secret, aws)
            )

    started = time.perf_counter()
    outcome = asyncio.run(run())
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
        "results": len(outcome.results),
        "errors": len(outcome.errors),
        "first_error": str(outcome.errors[0]) if outcome.errors else None,
    }


# --- the floor (a child process) -------------------------------------------------------


# Parameters for each read operation a sweep makes; `state` carries what a previous call of
# the same account x region x service returned (detector ids, log group names, ...).
def _params(service: str, operation: str, state: dict[str, Any], n: int) -> dict[str, Any]:
    if service == "guardduty" and operation in (
        "GetDetector",
        "GetFindingsStatistics",
        "ListMembers",
        "GetMasterAccount",
        "GetAdministratorAccount",
    ):
        detectors = state.get("detectors") or ["none"]
        params: dict[str, Any] = {"DetectorId": detectors[n % len(detectors)]}
        if operation == "GetFindingsStatistics":
            params["FindingStatisticTypes"] = ["COUNT_BY_SEVERITY"]
        return params
    if service == "ec2" and operation == "DescribeInstances":
        return {"Filters": [{"Name": "tag:gdpr-scope", "Values": ["web"]}]}
    if service == "logs" and operation == "DescribeLogGroups":
        return {"logGroupNamePrefix": SPEC["logs"]["groupPrefix"]}
    if service == "logs" and operation == "DescribeLogStreams":
        groups = state.get("log_groups") or ["/gdpr/web/none"]
        return {
            "logGroupName": groups[n % len(groups)],
            "orderBy": "LastEventTime",
            "descending": True,
        }
    if service == "iam" and operation in (
        "GetRole",
        "ListAttachedRolePolicies",
        "ListRolePolicies",
        "ListInstanceProfilesForRole",
    ):
        return {"RoleName": "CloudWatchAgentServerRole"}
    if service == "iam" and operation == "GetInstanceProfile":
        return {"InstanceProfileName": "CloudWatchAgentServerRole"}
    if service == "ssm" and operation in ("GetParameter", "GetParameters"):
        names = [
            f"AmazonCloudWatch-gdpr_{NAMESPACE}_scale_Linux",
            f"AmazonCloudWatch-gdpr_{NAMESPACE}_scale_Windows",
        ]
        return {"Name": names[n % 2]} if operation == "GetParameter" else {"Names": names}
    return {}


def _remember(service: str, operation: str, answer: dict[str, Any], state: dict[str, Any]) -> None:
    if operation == "ListDetectors":
        state["detectors"] = answer.get("DetectorIds", [])
    elif service == "logs" and operation == "DescribeLogGroups":
        state["log_groups"] = [g["logGroupName"] for g in answer.get("logGroups", [])]


def floor(url: str, calls_file: str) -> dict[str, Any]:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import ClientError  # noqa: PLC0415

    calls = json.loads(Path(calls_file).read_text())
    config = Config(max_pool_connections=FLOOR_THREADS, retries={"mode": "standard"})
    started = time.perf_counter()
    base = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    sts = base.client("sts", region_name="us-east-1", endpoint_url=url, config=config)
    assume_count = Counter(
        c["account"] for c in calls if c["service"] == "sts" and c["operation"] == "AssumeRole"
    )
    # One group of calls per account x region x service, in the order a sweep needs them.
    groups: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for c in calls:
        if c["service"] != "sts":
            groups[(c["account"], c["region"], c["service"])].append((c["operation"], c["count"]))
    order = {"ListDetectors": 0, "DescribeLogGroups": 0}
    credentials: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def creds_unlocked(account: str) -> dict[str, str]:
        if account not in credentials:
            answer = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/gdpr-operator", RoleSessionName="floor"
            )["Credentials"]
            credentials[account] = {
                "aws_access_key_id": answer["AccessKeyId"],
                "aws_secret_access_key": answer["SecretAccessKey"],
                "aws_session_token": answer["SessionToken"],
            }
        return credentials[account]

    def run_group(key: tuple[str, str, str]) -> int:
        account, region, service = key
        with lock:  # client creation is not thread-safe; one session shares the models
            client = base.client(
                service,
                region_name=region,
                endpoint_url=url,
                config=config,
                **creds_unlocked(account),
            )
        state: dict[str, Any] = {}
        made = 0
        for operation, count in sorted(groups[key], key=lambda oc: order.get(oc[0], 1)):
            method = getattr(client, _snake(operation))
            for n in range(count):
                # A NotFound is an answer too: the sweep gets them as well.
                with contextlib.suppress(ClientError):
                    _remember(
                        service, operation, method(**_params(service, operation, state, n)), state
                    )
                made += 1
        return made

    with ThreadPoolExecutor(FLOOR_THREADS) as pool:
        made = sum(pool.map(run_group, list(groups)))
    # Further AssumeRoles the sweep made (credential refreshes), if any.
    extra = sum(max(0, n - 1) for n in assume_count.values())
    for account, n in assume_count.items():
        for _ in range(max(0, n - 1)):
            sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/gdpr-operator", RoleSessionName="floor"
            )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
        "calls": made + len(credentials) + extra,
    }


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if (
            ch.isupper()
            and i
            and (
                not operation[i - 1].isupper()
                or (i + 1 < len(operation) and operation[i + 1].islower())
            )
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


# --- the parent ------------------------------------------------------------------------


def _child(*arguments: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"child {arguments[:2]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--max-clients", type=int, help="the layer's client cache (default: AwsSettings')"
    )
    parser.add_argument("--sweep", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, metavar=("URL", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweep:
        print(json.dumps(sweep(args.sweep, args.accounts, args.regions, args.max_clients)))
        return
    if args.floor:
        print(json.dumps(floor(*args.floor)))
        return

    from gdpr_operator.sandbox import SandboxControl  # noqa: PLC0415

    size = ["--accounts", str(args.accounts), "--regions", str(args.regions)]
    sweeping = (
        [*size] if args.max_clients is None else [*size, "--max-clients", str(args.max_clients)]
    )
    seeding = time.perf_counter()
    seed = ["--seed", "large", *size, "--instances", str(args.instances), "--log-groups", "0"]
    with sandbox_process(seed) as url:
        print(
            f"estate: {args.accounts} accounts x {args.regions} regions x "
            f"{args.instances} instances = {args.accounts * args.regions * args.instances} "
            f"instances; seeded in {time.perf_counter() - seeding:.0f} s",
            flush=True,
        )
        control = SandboxControl(url)
        warm = _child("--sweep", url, *sweeping)
        print(
            f"warm-up sweep: {warm['seconds']:.1f} s ({warm['results']} results, "
            f"{warm['errors']} errors)",
            flush=True,
        )
        if warm["errors"]:
            print(f"  first error: {warm['first_error']}", flush=True)
        control.clear_calls()
        counted = _child("--sweep", url, *sweeping)
        calls = control.calls()
        per_operation = Counter[tuple[str, str]]()
        for c in calls:
            per_operation[(c["service"], c["operation"])] += c["count"]
        writes = {
            k: n
            for k, n in per_operation.items()
            if not k[1].startswith(("Get", "List", "Describe", "AssumeRole"))
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(calls, handle)
        calls_file = Path(handle.name)
        print(
            f"counted sweep: {counted['seconds']:.1f} s ({counted['results']} results, "
            f"{counted['errors']} errors); {sum(per_operation.values())} calls; "
            f"writes: {writes or 'none'}",
            flush=True,
        )
        if counted["errors"]:
            print(f"  first error: {counted['first_error']}", flush=True)
        for (service, operation), n in sorted(per_operation.items()):
            print(f"  {service:10} {operation:34} {n:7}")
        sweeps, floors = [], []
        for run in range(args.runs):
            floors.append(_child("--floor", url, str(calls_file)))
            sweeps.append(_child("--sweep", url, *sweeping))
            print(
                f"run {run + 1}: sweep {sweeps[-1]['seconds']:.1f} s "
                f"({sweeps[-1]['errors']} errors) {sweeps[-1]['peak_rss_mb']:.0f} MB "
                f"cpu {sweeps[-1]['cpu_seconds']:.1f} s; floor {floors[-1]['seconds']:.1f} s "
                f"{floors[-1]['peak_rss_mb']:.0f} MB cpu {floors[-1]['cpu_seconds']:.1f} s "
                f"({floors[-1]['calls']} calls)",
                flush=True,
            )
        calls_file.unlink()

    _summary(sweeps, floors, args, sum(per_operation.values()))


def _summary(
    sweeps: list[dict[str, Any]], floors: list[dict[str, Any]], args: argparse.Namespace, calls: int
) -> None:
    def med(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    sweep_s, floor_s = med(sweeps, "seconds"), med(floors, "seconds")
    rss = med(sweeps, "peak_rss_mb")
    print()
    print(f"{'':24}{'sweep (engine)':>16}{'floor (boto3)':>16}{'ratio':>8}  target")
    print(
        f"{'wall time, median':24}{sweep_s:>14.1f} s{floor_s:>14.1f} s"
        f"{sweep_s / floor_s:>8.2f}  <= 1.5x and < 60 s: "
        f"{'MET' if sweep_s <= 1.5 * floor_s and sweep_s < 60 else 'NOT MET'}"
    )
    print(
        f"{'peak RSS, median':24}{rss:>13.0f} MB{med(floors, 'peak_rss_mb'):>13.0f} MB"
        f"{'':8}  < 200 MB: {'MET' if rss < 200 else 'NOT MET'}"
    )
    sweep_cpu, floor_cpu = med(sweeps, "cpu_seconds"), med(floors, "cpu_seconds")
    print(
        f"{'CPU time, median':24}{sweep_cpu:>14.1f} s{floor_cpu:>14.1f} s"
        f"{sweep_cpu / floor_cpu:>8.2f}"
    )
    print(
        f"({args.runs} runs each, alternating; {args.accounts} accounts x {args.regions} "
        f"regions, {args.instances} instances per account-region, {calls} AWS calls per "
        "sweep)"
    )


if __name__ == "__main__":
    main()
