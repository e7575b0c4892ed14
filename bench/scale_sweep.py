"""One full Observe sweep of a large estate, against the floor of its own read calls.

    [GDPR_SANDBOX_PROFILE=aws] scripts/bench scale_sweep [--accounts 100]
        [--regions 17] [--instances 10] [--runs 3]

A sandbox seeded with the `large` estate (ACCOUNTS x REGIONS, INSTANCES web instances per
account-region, no log group) runs in a child process, in the profile GDPR_SANDBOX_PROFILE
names (as the tests select it; `aws`: latency, AWS's buckets). Then:

1. a warm-up sweep (untimed: moto builds the backends of the services the seed never
   touched, SSM, Logs, IAM, the first time each account-region is read);
2. one sweep whose AWS calls the sandbox counts per (service, operation, account, region):
   that multiset is what a steady-state Observe sweep of this estate costs;
3. RUNS times, alternating: a child process running one sweep (`engine.reconcile`, Observe,
   every component on: GuardDuty, instance profiles, CloudWatch agent, log groups;
   auditChecks []) through the aws layer with its default settings, and a child process
   issuing exactly that multiset of calls with bare boto3 (a pool of 16 threads, as the
   layer's default `max_concurrency`; one client per account x region x service; one
   AssumeRole per account) -- the floor. The floor keeps to AWS's request buckets
   (`gdpr_operator.aws.bucket_for`: one per account, region and API, each call taking a
   token, waiting when there is none), as the layer does: the fastest a client may go
   without being throttled. Each child reports its wall time, the CPU time of its work (its
   own process only, not the sandbox's) and its peak RSS (VmHWM: its own, not its
   parent's), which is therefore the peak of that sweep alone.

It also computes, from the counted calls alone, the least time AWS's buckets allow (each
bucket starts full: a bucket of capacity C refilled at R a second serves N calls in
(N - C) / R seconds at the least; the sweep takes at least its slowest bucket's), and the
least time the profile's latency allows at the floor's concurrency (calls x mean latency /
threads); the larger is the computed floor, printed beside the measured one.

Targets: sweep within 1.2x of the measured floor; peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdpr_operator.aws import AwsSettings, Bucket, RateLimits, bucket_for

from aws_bench_support import (
    large_estate_access,
    live_children_cpu_seconds,
    sandbox_process,
    sandbox_settings,
)
from peak_rss import peak_rss_mb

NAMESPACE = "bench"
FLOOR_THREADS = AwsSettings().max_concurrency  # the layer's default, which the sweep uses
STS_CALLER = "caller"
"""The floor's bucket key for its STS calls: all made by the one identity it starts with."""
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
SPEC: dict[str, Any] = {
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

    started, cpu = time.perf_counter(), _cpu_seconds()
    outcome = asyncio.run(run())
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": _cpu_seconds() - cpu,
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
    if service == "ec2" and operation == "DescribeIamInstanceProfileAssociations":
        return {
            "Filters": [
                {"Name": "state", "Values": ["associating", "associated", "disassociating"]}
            ]
        }
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


class BucketPacer:
    """AWS's buckets on the floor's side, the layer's own (`RateLimits`), shared by the
    floor's threads: each call takes a token of its bucket and sleeps while there is none."""

    def __init__(self) -> None:
        self._rates = RateLimits()
        self._lock = threading.Lock()

    def wait(
        self, account: str, region: str, service: str, operation: str, params: dict[str, Any]
    ) -> None:
        with self._lock:
            delay = self._rates.delay(account, region, service, operation, params)
        if delay > 0:
            time.sleep(delay)


def floor(url: str, calls_file: str) -> dict[str, Any]:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import ClientError  # noqa: PLC0415

    calls = json.loads(Path(calls_file).read_text())
    config = Config(max_pool_connections=FLOOR_THREADS, retries={"mode": "standard"})
    started, cpu = time.perf_counter(), _cpu_seconds()
    pacer = BucketPacer()
    base = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    sts = base.client("sts", region_name="us-east-1", endpoint_url=url, config=config)
    # STS calls are the caller's own (the sandbox counts them under its account): one
    # AssumeRole per account as its first call needs it, then any the sweep made beyond.
    sts_calls = Counter[str]()
    # One group of calls per account x region x service, in the order a sweep needs them.
    groups: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for c in calls:
        if c["service"] == "sts":
            sts_calls[c["operation"]] += c["count"]
        else:
            groups[(c["account"], c["region"], c["service"])].append((c["operation"], c["count"]))
    order = {"ListDetectors": 0, "DescribeLogGroups": 0}
    credentials: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def assume_role(account: str) -> dict[str, str]:
        pacer.wait(STS_CALLER, "us-east-1", "sts", "AssumeRole", {})
        answer: dict[str, str] = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/gdpr-operator", RoleSessionName="floor"
        )["Credentials"]
        return answer

    def creds_unlocked(account: str) -> dict[str, str]:
        if account not in credentials:
            answer = assume_role(account)
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
                params = _params(service, operation, state, n)
                pacer.wait(account, region, service, operation, params)
                # A NotFound is an answer too: the sweep gets them as well.
                with contextlib.suppress(ClientError):
                    _remember(service, operation, method(**params), state)
                made += 1
        return made

    with ThreadPoolExecutor(FLOOR_THREADS) as pool:
        made = sum(pool.map(run_group, list(groups)))
    # The STS calls the sweep made beyond one AssumeRole per account (refreshes, identity).
    extra = sts_calls.copy()
    extra["AssumeRole"] -= len(credentials)
    some_account = next(iter(credentials), "0")
    for operation, n in extra.items():
        for _ in range(max(0, n)):
            if operation == "AssumeRole":
                assume_role(some_account)
            else:
                pacer.wait(STS_CALLER, "us-east-1", "sts", operation, {})
                getattr(sts, _snake(operation))()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": _cpu_seconds() - cpu,
        "calls": made + len(credentials) + sum(max(0, n) for n in extra.values()),
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
    """Run this script with ARGUMENTS; its answer, with the CPU time the sandbox (then this
    process's only other child) spent meanwhile."""
    sandbox_cpu = live_children_cpu_seconds()
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"child {arguments[:2]} failed:\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    answer["sandbox_cpu_seconds"] = live_children_cpu_seconds() - sandbox_cpu
    return answer


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--max-clients", type=int, help="the layer's client cache (default: AwsSettings')"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="one counted sweep of the fresh estate only (no warm-up, no floor): its calls, "
        "CPU and peak RSS, for an estate too large to compare in the time at hand",
    )
    parser.add_argument("--sweep", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, metavar=("URL", "CALLS"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _arguments()
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
        profile = control.profile()
        print(f"sandbox profile: {profile['name']}", flush=True)
        if not args.once:
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
            f"writes: {writes or 'none'}; peak RSS {counted['peak_rss_mb']:.0f} MB; CPU "
            f"{counted['cpu_seconds']:.1f} s "
            f"({1000 * counted['cpu_seconds'] / sum(per_operation.values()):.2f} ms a call), "
            f"sandbox CPU {counted['sandbox_cpu_seconds']:.1f} s",
            flush=True,
        )
        if counted["errors"]:
            print(f"  first error: {counted['first_error']}", flush=True)
        _print_calls(per_operation, args.accounts * args.regions)
        computed = computed_floor(calls, profile, FLOOR_THREADS)
        print(
            f"computed floor: buckets {computed.buckets_seconds:.1f} s (slowest: "
            f"{computed.slowest}), latency at {FLOOR_THREADS} in flight "
            f"{computed.latency_seconds:.1f} s",
            flush=True,
        )
        if args.once:
            calls_file.unlink()
            return
        sweeps, floors = [], []
        for run in range(args.runs):
            floors.append(_child("--floor", url, str(calls_file)))
            sweeps.append(_child("--sweep", url, *sweeping))
            print(
                f"run {run + 1}: sweep {sweeps[-1]['seconds']:.1f} s "
                f"({sweeps[-1]['errors']} errors) {sweeps[-1]['peak_rss_mb']:.0f} MB "
                f"cpu {sweeps[-1]['cpu_seconds']:.1f} s (sandbox "
                f"{sweeps[-1]['sandbox_cpu_seconds']:.1f} s); floor "
                f"{floors[-1]['seconds']:.1f} s {floors[-1]['peak_rss_mb']:.0f} MB cpu "
                f"{floors[-1]['cpu_seconds']:.1f} s (sandbox "
                f"{floors[-1]['sandbox_cpu_seconds']:.1f} s; {floors[-1]['calls']} calls)",
                flush=True,
            )
        calls_file.unlink()

    _summary(sweeps, floors, computed, args, sum(per_operation.values()))


def _print_calls(per_operation: Counter[tuple[str, str]], targets: int) -> None:
    """The calls of one sweep by API, and per account-region (IAM's are per account but
    counted in the region they are sent to; STS's are the caller's, hence apart)."""
    print(f"  {'service':10} {'operation':44} {'calls':>7} {'per account-region':>19}")
    for (service, operation), n in sorted(per_operation.items()):
        print(f"  {service:10} {operation:44} {n:7} {n / targets:19.2f}")
    print(
        f"  {'all but STS (the caller identity)':55} "
        f"{sum(n for (s, _), n in per_operation.items() if s != 'sts') / targets:27.2f}"
    )


@dataclass(frozen=True)
class ComputedFloor:
    buckets_seconds: float
    """The least time AWS's buckets allow: that of the slowest bucket."""
    slowest: str
    latency_seconds: float
    """Calls x the profile's mean latency / calls in flight (0 without latency)."""

    @property
    def seconds(self) -> float:
        return max(self.buckets_seconds, self.latency_seconds)


def computed_floor(
    calls: list[dict[str, Any]], profile: dict[str, Any], in_flight: int
) -> ComputedFloor:
    """The least wall time of these calls that AWS's buckets and the sandbox's latency
    allow. Each bucket (account, region, API, category; `bucket_for`, with the parameters
    the floor sends) starts full: N calls on a bucket of capacity C refilled at R a second
    take at least (N - C) / R seconds, whatever else runs meanwhile."""
    per_bucket = Counter[tuple[str, str, str, str, Bucket]]()
    for c in calls:
        bucket = bucket_for(
            c["service"], c["operation"], _params(c["service"], c["operation"], {}, 0)
        )
        per_bucket[(c["account"], c["region"], c["service"], c["operation"], bucket)] += c["count"]

    def least(key: tuple[str, str, str, str, Bucket]) -> float:
        return max(0.0, (per_bucket[key] - key[4].capacity) / key[4].refill)

    slowest = max(per_bucket, key=least)
    account, region, service, operation, bucket = slowest
    latency = profile.get("latency")
    mean_seconds = 0.0
    if latency:
        z99 = statistics.NormalDist().inv_cdf(0.99)

        def mean(median_ms: float, p99_ms: float) -> float:  # of the log-normal, in seconds
            return median_ms * math.exp((math.log(p99_ms / median_ms) / z99) ** 2 / 2) / 1000

        for c in calls:
            write = not c["operation"].startswith(("Describe", "Get", "List"))
            kind = "write" if write else "read"
            mean_seconds += c["count"] * mean(
                latency[f"{kind}_median_ms"], latency[f"{kind}_p99_ms"]
            )
    return ComputedFloor(
        least(slowest),
        f"{service} {operation} of {account}/{region}: {per_bucket[slowest]} calls, "
        f"{bucket.capacity:g} then {bucket.refill:g} a second",
        mean_seconds / in_flight,
    )


def _summary(
    sweeps: list[dict[str, Any]],
    floors: list[dict[str, Any]],
    computed: ComputedFloor,
    args: argparse.Namespace,
    calls: int,
) -> None:
    def med(rows: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in rows))

    sweep_s, floor_s = med(sweeps, "seconds"), med(floors, "seconds")
    rss = med(sweeps, "peak_rss_mb")
    print()
    print(f"{'':28}{'sweep (engine)':>16}{'floor (boto3)':>16}{'ratio':>8}  target")
    print(
        f"{'wall time, median':28}{sweep_s:>14.1f} s{floor_s:>14.1f} s"
        f"{sweep_s / floor_s:>8.2f}  <= 1.2x: {'MET' if sweep_s <= 1.2 * floor_s else 'NOT MET'}"
    )
    print(
        f"{'computed floor':28}{'':16}{computed.seconds:>14.1f} s"
        f"{sweep_s / computed.seconds if computed.seconds else math.inf:>8.2f}  "
        f"(measured floor / computed: "
        f"{floor_s / computed.seconds if computed.seconds else math.inf:.2f})"
    )
    print(
        f"{'peak RSS, median':28}{rss:>13.0f} MB{med(floors, 'peak_rss_mb'):>13.0f} MB"
        f"{'':8}  < 200 MB: {'MET' if rss < 200 else 'NOT MET'}"
    )
    sweep_cpu, floor_cpu = med(sweeps, "cpu_seconds"), med(floors, "cpu_seconds")
    print(
        f"{'CPU time, median':28}{sweep_cpu:>14.1f} s{floor_cpu:>14.1f} s"
        f"{sweep_cpu / floor_cpu:>8.2f}"
    )
    print(
        f"{'CPU per AWS call, median':28}{1000 * sweep_cpu / calls:>13.2f} ms"
        f"{1000 * floor_cpu / med(floors, 'calls'):>13.2f} ms"
        f"{sweep_cpu / calls / (floor_cpu / med(floors, 'calls')):>8.2f}"
    )
    print(
        f"({args.runs} runs each, alternating; {args.accounts} accounts x {args.regions} "
        f"regions, {args.instances} instances per account-region, {calls} AWS calls per "
        "sweep; CPU: the client process's own, user + system, over its work after start-up)"
    )


if __name__ == "__main__":
    main()
