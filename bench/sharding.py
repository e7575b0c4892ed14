"""Sharded mode at scale (issue 20): GdprMonitorings of one account each, over REGIONS
regions of the `large` estate, shared by 1, 2 and 4 replicas.

    nice -n 10 scripts/bench sharding [--monitorings 200] [--regions 17]
        [--instances 0] [--replicas 1,2,4] [--lease 15]

A sandbox (the profile GDPR_SANDBOX_PROFILE names; by default instant) seeded with the
`large` estate of MONITORINGS accounts x REGIONS regions, INSTANCES web instances in each
(0 by default: the cheapest seed, GuardDuty detectors in every other region only) and no
log group; a private control plane (scripts/local-cluster), the CRDs, the shipped RBAC and
the sharding component; one AwsAccount per account. Then, for each replica count N, in a
namespace of its own that the replicas alone watch:

1. N `gdpr-operator run --sharded` processes, each as the ServiceAccount, until each lists
   all N as members;
2. MONITORINGS GdprMonitorings (Observe, every component, auditChecks [], resync 24h, so
   that the pass on creation is the whole work), until each shows a pass without errors
   (Synced True at its generation);
3. per replica: the objects it owns (the Ready series its /metrics exports), its passes
   (its log), its AWS calls (`gdpr_aws_api_calls_total`), its CPU time over step 2 and in
   all (/proc/PID/stat), its peak RSS (VmHWM);
4. for N > 1, one replica SIGKILLed, and the time until a survivor has written the status
   of every object the killed one owned (the takeover).

Prints a table per N, the balance (max / mean owned), and the sum of the replicas' CPU over
step 2 against the one replica's at N = 1. CPU figures on a shared 2-core machine are noisy
(the sandbox, the API server and the replicas compete): the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

os.environ["GDPR_TOOLS_CHECK_ONLY"] = "1"  # tools come from scripts/build-tools, built before

from gdpr_operator.handlers import shard_owner
from scale_sweep import REGIONS, SPEC

from aws_bench_support import large_estate_access, sandbox_process
from fixtures.cluster import REPO, Kubectl, cluster_environment, install, running_cluster, wait_for
from fixtures.sharding import Replica, sharded_replica, start_member, wait_until_members

SHARDING_RBAC = REPO / "deploy" / "components" / "sharding" / "sharding.yaml"


@dataclass
class Figures:
    identity: str
    owned: int
    passes: int
    aws_calls: int
    work_cpu_seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def _accounts(admin: Kubectl, monitorings: int, namespaces: list[str]) -> None:
    admin.apply(
        yaml.safe_dump_all(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "AwsAccount",
                "metadata": {"name": access.name},
                "spec": {
                    "accountId": access.account_id,
                    "allowedNamespaces": namespaces,
                    "assumeRole": {"roleArn": access.role_arn},
                },
            }
            for access in large_estate_access(monitorings)
        )
    )


def _monitorings(admin: Kubectl, namespace: str, monitorings: int, regions: int) -> dict[str, str]:
    """The GdprMonitorings, one per account; name -> uid."""
    admin.apply(
        yaml.safe_dump_all(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "GdprMonitoring",
                "metadata": {"name": access.name, "namespace": namespace},
                "spec": {
                    **SPEC,
                    "accounts": [access.name],
                    "regions": list(REGIONS[:regions]),
                    "resyncInterval": "24h",
                },
            }
            for access in large_estate_access(monitorings)
        )
    )
    listed = json.loads(admin.run("get", "gdprmonitorings", "-n", namespace, "-o", "json").stdout)
    return {item["metadata"]["name"]: item["metadata"]["uid"] for item in listed["items"]}


def _synced(admin: Kubectl, namespace: str) -> int:
    """How many GdprMonitorings show a pass without errors (Synced) at their generation."""
    listed = json.loads(admin.run("get", "gdprmonitorings", "-n", namespace, "-o", "json").stdout)
    return sum(
        1
        for item in listed["items"]
        if item.get("status", {}).get("observedGeneration") == item["metadata"]["generation"]
        and any(
            c["type"] == "Synced" and c["status"] == "True"
            for c in item["status"].get("conditions", [])
        )
    )


def _written(replicas: list[Replica], since: float) -> dict[str, str]:
    """uid -> identity of the replica that last wrote its status after `since`."""
    written: dict[str, tuple[float, str]] = {}
    for replica in replicas:
        for uid, _, wrote in replica.passes():
            if wrote is not None and wrote > since and wrote >= written.get(uid, (0.0, ""))[0]:
                written[uid] = (wrote, replica.identity)
    return {uid: who for uid, (_, who) in written.items()}


def _run(
    admin: Kubectl,
    cluster_env: dict[str, str],
    sandbox_url: str,
    directory: Path,
    *,
    args: argparse.Namespace,
    n: int,
) -> tuple[list[Figures], float, float | None]:
    """N replicas over a fresh namespace: per replica figures, the first-pass wall time,
    the takeover time (None for N = 1)."""
    namespace = f"bench-{n}"
    replicas = []
    for index in range(n):
        replica = sharded_replica(
            admin, cluster_env, sandbox_url, directory / f"n{n}-r{index}", args.lease
        )
        replica.process.command += ["--watch-namespace", namespace]
        replicas.append(replica)
    try:
        for replica in replicas:
            start_member(replica)
        wait_until_members(replicas, timeout=120)
        cpu_before = {r.identity: r.cpu_seconds() for r in replicas}
        created = time.time()
        uids = _monitorings(admin, namespace, args.monitorings, args.regions)
        identities = {r.identity for r in replicas}
        wait_for(
            f"a converged pass (Synced) over each of {len(uids)} GdprMonitorings",
            lambda: _synced(admin, namespace) == len(uids),
            timeout=args.timeout,
            interval=2,
        )
        first_pass = max(w for r in replicas for _, _, w in r.passes() if w) - created
        figures = [
            Figures(
                r.identity,
                len(r.exported()),
                sum(1 for _, _, wrote in r.passes() if wrote is not None),
                r.aws_calls(),
                r.cpu_seconds() - cpu_before[r.identity],
                r.cpu_seconds(),
                r.peak_rss_mb(),
            )
            for r in replicas
        ]
        takeover = None
        if n > 1:
            killed, survivors = replicas[0], replicas[1:]
            moved = {
                uid for uid in uids.values() if shard_owner(uid, identities) == killed.identity
            }
            killed_at = time.time()
            assert killed.process.process is not None
            killed.process.process.send_signal(signal.SIGKILL)
            killed.process.process.wait()
            done = wait_for(
                f"the survivors to pass the killed replica's {len(moved)} objects",
                lambda: moved <= set(_written(survivors, killed_at)) and time.time(),
                timeout=args.timeout,
                interval=0.5,
            )
            takeover = done - killed_at
        return figures, first_pass, takeover
    finally:
        for replica in replicas:
            if replica.alive():
                replica.process.stop()


def _print(n: int, figures: list[Figures], first_pass: float, takeover: float | None) -> None:
    total_cpu = sum(f.work_cpu_seconds for f in figures)
    print(f"\n{n} replica(s): every object passed once in {first_pass:.1f} s")
    print(
        f"  {'replica':34} {'owned':>6} {'passes':>7} {'AWS calls':>10} {'CPU work':>9} "
        f"{'share':>6} {'of a core':>10} {'CPU all':>8} {'peak RSS':>9}"
    )
    for f in figures:
        print(
            f"  {f.identity:34} {f.owned:6} {f.passes:7} {f.aws_calls:10} "
            f"{f.work_cpu_seconds:8.1f}s {f.work_cpu_seconds / total_cpu:6.0%} "
            f"{f.work_cpu_seconds / first_pass:10.0%} {f.cpu_seconds:7.1f}s "
            f"{f.peak_rss_mb:6.0f} MB"
        )
    owned = [f.owned for f in figures]
    print(
        f"  balance (max/mean owned) {max(owned) / statistics.mean(owned):.2f}; "
        f"AWS calls {sum(f.aws_calls for f in figures)}; CPU of the work {total_cpu:.1f} s"
        + (f"; takeover after SIGKILL {takeover:.1f} s" if takeover is not None else "")
        + f"; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitorings", type=int, default=200)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--instances", type=int, default=0)
    parser.add_argument("--replicas", default="1,2,4", help="replica counts, comma-separated")
    parser.add_argument("--lease", type=float, default=15.0, help="--shard-lease-duration")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per wait, seconds")
    args = parser.parse_args()
    counts = [int(n) for n in args.replicas.split(",")]
    print(f"load average at start {os.getloadavg()[0]:.1f}", flush=True)
    seeding = time.perf_counter()
    seed = [
        "--seed",
        "large",
        "--accounts",
        str(args.monitorings),
        "--regions",
        str(args.regions),
        "--instances",
        str(args.instances),
        "--log-groups",
        "0",
    ]
    with (
        tempfile.TemporaryDirectory() as scratch,
        sandbox_process(seed) as url,
    ):
        directory = Path(scratch)
        print(
            f"estate: {args.monitorings} accounts x {args.regions} regions x {args.instances} "
            f"instances; seeded in {time.perf_counter() - seeding:.0f} s",
            flush=True,
        )
        cluster_env = cluster_environment(directory / "cluster")
        with running_cluster(cluster_env) as admin:
            install(admin)
            admin.apply(SHARDING_RBAC)
            namespaces = [f"bench-{n}" for n in counts]
            for namespace in namespaces:
                admin.run("create", "namespace", namespace)
            _accounts(admin, args.monitorings, namespaces)
            single: float | None = None
            for n in counts:
                figures, first_pass, takeover = _run(
                    admin, cluster_env, url, directory, args=args, n=n
                )
                _print(n, figures, first_pass, takeover)
                total = sum(f.work_cpu_seconds for f in figures)
                if n == 1:
                    single = total
                elif single:
                    print(f"  sum of the replicas' CPU / one replica's: {total / single:.2f}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
