"""This project's audit against Prowler's, on one sandbox estate: verdicts and wall time.

    [GDPR_SANDBOX_PROFILE=aws] .venv/bin/python bench/peer_prowler.py
        [--estate demo|large|both] [--runs 3] [--regions 17] [--instances 59] [--log-groups 30]

For each estate, a sandbox runs in a child process (in the profile GDPR_SANDBOX_PROFILE
names, as the tests select it), and then, RUNS times, alternating which goes first:

- ours: `gdpr-operator audit -f ACCOUNTS -f MONITORING --format json`, a subprocess with
  AWS_ENDPOINT_URL pointing at the sandbox (Observe: reads only);
- Prowler: `prowler aws` with the same endpoint and dummy keys, restricted to the estate's
  regions and to the three checks both tools have (guardduty_is_enabled,
  ec2_instance_profile_attached, cloudwatch_log_group_retention_policy_specific_days_enabled),
  JSON-OCSF output; one run per account (Prowler scans one account per invocation), through
  `--role` (and `--external-id`), i.e. the same `gdpr-operator` role our audit assumes.

Prowler is installed from PyPI into a throwaway virtualenv under the user's cache directory
(never into the project's: its pins clash with ours). Then the verdicts of the last run are
compared resource by resource (GuardDuty per account x region, instance ids, log group
names) and every difference is explained; wall times are medians of the RUNS. Each run
also counts the AWS calls the tool made (the sandbox's call log) and the CPU time of the
tool's own process (user + system, interpreter start included; not the sandbox's): CPU per
call, and, when both estates run, the CPU each further call costs (the difference between
the estates' medians over the difference of their calls, which cancels the start-up).

Estates:
- demo: the `demo` seed (2 accounts x 3 regions), examples/awsaccounts.yaml and a
  GdprMonitoring (Observe, both accounts and regions, instances tagged gdpr-scope=web,
  logs under /gdpr/web with the example's presets, auditChecks []);
- large: the `large` seed with 1 account (acct-000, 100000000000) x REGIONS regions,
  INSTANCES web instances and LOG_GROUPS log groups (/gdpr/web/linux/group-N, never
  expiring) per region: by default 17 regions, 1003 instances, 510 log groups. The
  GdprMonitoring declares those log groups as customLogFiles, so that our audit checks them.

Target: ours at least 20x faster than Prowler on both (the target of issue 17, set for the
`aws` profile).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from gdpr_operator.sandbox import SandboxControl

from aws_bench_support import LARGE_ACCOUNT_BASE, live_children_cpu_seconds, sandbox_process

REPO = Path(__file__).resolve().parent.parent
PROWLER_CHECKS = {
    "guardduty_is_enabled": "guardduty",
    "ec2_instance_profile_attached": "instance_profile",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "log_retention",
}
OUR_CHECKS = {
    "guardduty.detector_enabled": "guardduty",
    "ec2.instance_profile_attached": "instance_profile",
    "logs.retention": "log_retention",
}
DEMO_REGIONS = ["eu-west-1", "eu-central-1", "eu-north-1"]
LARGE_REGIONS = [
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
]
RETENTION_DAYS = 365  # ours (spec) and Prowler's log_group_retention_days default alike
TARGET_SPEED_UP = 20


@dataclass(frozen=True)
class Account:
    name: str
    account_id: str
    external_id: str | None

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/gdpr-operator"


@dataclass(frozen=True)
class Estate:
    name: str
    seed: list[str]
    accounts: list[Account]
    regions: list[str]
    files: list[Path]


# --- Prowler in a throwaway virtualenv ---------------------------------------------------


def prowler_executable() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "gdpr-operator" / "bench-prowler-venv"
    prowler = home / "bin" / "prowler"
    if not prowler.exists():
        print(
            f"installing Prowler from PyPI into a throwaway virtualenv ({home.name}) ...",
            flush=True,
        )
        shutil.rmtree(home, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(home)
        done = subprocess.run(
            [str(home / "bin" / "pip"), "install", "-q", "prowler"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode or not prowler.exists():
            sys.exit(f"BLOCKED: `pip install prowler` failed:\n{done.stderr[-3000:]}")
    version = subprocess.run(
        [str(prowler), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"Prowler: {version}", flush=True)
    return prowler


# --- the estates --------------------------------------------------------------------------


def demo_estate(work: Path) -> Estate:
    monitoring = work / "demo-monitoring.yaml"
    monitoring.write_text(
        json.dumps(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "GdprMonitoring",
                "metadata": {"name": "peer", "namespace": "security"},
                "spec": {
                    "accounts": ["prod", "shop"],
                    "regions": DEMO_REGIONS,
                    "managementPolicy": "Observe",
                    "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                    "cloudWatchAgent": {
                        "presets": ["linux-system", "apache", "nginx", "windows-system", "iis"]
                    },
                    "logs": {"groupPrefix": "/gdpr/web", "retentionDays": RETENTION_DAYS},
                    "auditChecks": [],
                },
            }
        )
    )
    return Estate(
        "demo",
        ["--seed", "demo"],
        [Account("prod", "111111111111", "gdpr-demo-prod"), Account("shop", "222222222222", None)],
        DEMO_REGIONS,
        [REPO / "examples" / "awsaccounts.yaml", monitoring],
    )


def large_estate(
    work: Path, regions: int, instances: int, log_groups: int, declare_log_groups: bool = True
) -> Estate:
    account = Account("acct-000", str(LARGE_ACCOUNT_BASE), None)
    manifests = work / "large-manifests.yaml"
    objects = [
        {
            "apiVersion": "monitoring.gdpr.io/v1alpha1",
            "kind": "AwsAccount",
            "metadata": {"name": account.name},
            "spec": {
                "accountId": account.account_id,
                "assumeRole": {"roleArn": account.role_arn},
                "allowedNamespaces": ["security"],
            },
        },
        {
            "apiVersion": "monitoring.gdpr.io/v1alpha1",
            "kind": "GdprMonitoring",
            "metadata": {"name": "peer", "namespace": "security"},
            "spec": {
                "accounts": [account.name],
                "regions": LARGE_REGIONS[:regions],
                "managementPolicy": "Observe",
                "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                # The seed's groups, /gdpr/web/linux/group-N, as the agent would ship them.
                "cloudWatchAgent": {
                    "presets": ["linux-system"],
                    "customLogFiles": [
                        {
                            "platform": "Linux",
                            "filePath": f"/var/log/group-{n}.log",
                            "logGroup": f"linux/group-{n}",
                        }
                        for n in range(log_groups if declare_log_groups else 0)
                    ],
                },
                "logs": {"groupPrefix": "/gdpr/web", "retentionDays": RETENTION_DAYS},
                "auditChecks": [],
            },
        },
    ]
    manifests.write_text("\n---\n".join(json.dumps(o) for o in objects))
    seed = [
        "--seed",
        "large",
        "--accounts",
        "1",
        "--regions",
        str(regions),
        "--instances",
        str(instances),
        "--log-groups",
        str(log_groups),
    ]
    return Estate("large", seed, [account], LARGE_REGIONS[:regions], [manifests])


@contextmanager
def sandbox(arguments: list[str], log: Path) -> Iterator[str]:
    """The sandbox with its log in `log`: Prowler's EC2 inventory asks for things moto has not
    implemented (client VPN endpoints, ...), each a traceback there."""
    with log.open("w") as stderr, sandbox_process(arguments, stderr) as url:
        yield url


def _cpu() -> tuple[float, float]:
    """CPU seconds so far of the finished children (the tools' runs) and of the sandbox."""
    finished = resource.getrusage(resource.RUSAGE_CHILDREN)
    return finished.ru_utime + finished.ru_stime, live_children_cpu_seconds()


# --- one run of each ----------------------------------------------------------------------


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    return env


def run_ours(url: str, estate: Estate) -> tuple[float, dict[str, Any]]:
    command = [
        str(Path(sys.executable).parent / "gdpr-operator"),
        "audit",
        *(a for f in estate.files for a in ("-f", str(f))),
        "--format",
        "json",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env(url), check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: not compliant, which the estates are not
        sys.exit(
            f"our audit failed ({done.returncode}):\n{done.stderr[-3000:]}{done.stdout[-3000:]}"
        )
    return seconds, json.loads(done.stdout)


def run_prowler(
    prowler: Path, url: str, estate: Estate, out: Path
) -> tuple[float, list[dict[str, Any]]]:
    findings: list[dict[str, Any]] = []
    seconds = 0.0
    for account in estate.accounts:
        shutil.rmtree(out, ignore_errors=True)
        command = [
            str(prowler),
            "aws",
            "--role",
            account.role_arn,
            *(["--external-id", account.external_id] if account.external_id else []),
            "--checks",
            *PROWLER_CHECKS,
            "--filter-region",
            *estate.regions,
            "--output-formats",
            "json-ocsf",
            "--output-directory",
            str(out),
            "--output-filename",
            account.name,
            "--no-banner",
            "--ignore-exit-code-3",
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=_env(url), check=False)
        seconds += time.perf_counter() - started
        report = out / f"{account.name}.ocsf.json"
        if done.returncode or not report.exists():
            sys.exit(
                f"BLOCKED: Prowler failed against the sandbox ({done.returncode}):\n"
                f"{done.stderr[-3000:]}\n{done.stdout[-3000:]}"
            )
        findings += json.loads(report.read_text())
    return seconds, findings


# --- the comparison -----------------------------------------------------------------------

Key = tuple[str, str, str, str]  # (kind, account id, region, resource)


def our_verdicts(report: dict[str, Any], estate: Estate) -> dict[Key, tuple[bool, str]]:
    ids = {a.name: a.account_id for a in estate.accounts}
    verdicts = {}
    for check in report["checks"]:
        kind = OUR_CHECKS.get(check["check"])
        if kind is None:
            continue
        resource = "detector" if kind == "guardduty" else check["resource"]
        verdicts[(kind, ids[check["account"]], check["region"], resource)] = (
            check["compliant"],
            check["reason"],
        )
    return verdicts


def prowler_verdicts(findings: list[dict[str, Any]]) -> dict[Key, tuple[bool, str]]:
    verdicts = {}
    for finding in findings:
        kind = PROWLER_CHECKS.get(finding["metadata"]["event_code"])
        if kind is None or finding["status_code"] not in ("PASS", "FAIL"):
            continue
        resource = finding["resources"][0]
        account = resource["uid"].split(":")[4] or finding["cloud"]["account"]["uid"]
        name = "detector" if kind == "guardduty" else resource["name"]
        verdicts[(kind, account, resource["region"], name)] = (
            finding["status_code"] == "PASS",
            finding["status_detail"],
        )
    return verdicts


def explain(
    key: Key,
    ours: tuple[bool, str] | None,
    theirs: tuple[bool, str] | None,
    prowler_regions: set[str],
) -> str:
    kind = key[0]
    if theirs is None and key[2] not in prowler_regions:
        return (
            "ours only: Prowler skipped the region, not listed as enabled by the "
            "account's DescribeRegions(AllRegions=False) (an opt-in region the sandbox "
            "reports not opted in); ours audits the regions its spec lists"
        )
    if ours is None:
        if kind == "instance_profile":
            return (
                "Prowler only: an instance outside our selector (gdpr-scope=web); we "
                "never look at it"
            )
        if kind == "log_retention":
            return (
                "Prowler only: a log group our spec does not own (outside the groups "
                "the agent ships to under /gdpr/web); Prowler checks every group"
            )
        return "Prowler only"
    if theirs is None:
        if kind == "log_retention" and "does not exist" in ours[1]:
            return (
                "ours only: a log group the agent config needs that does not exist yet; "
                "Prowler can only judge resources that exist"
            )
        return "ours only"
    if ours[0] == theirs[0]:
        return "agree"
    if kind == "log_retention" and "never expire" in ours[1]:
        return (
            "never-expire retention: ours non-compliant (storage limitation, Art. "
            "5(1)(e): kept forever), Prowler compliant (never expiring >= its minimum "
            f"of {RETENTION_DAYS} days)"
        )
    if kind == "log_retention" and not ours[0] and theirs[0]:
        return (
            "retention longer than the spec: ours wants exactly the spec's days, "
            "Prowler only a minimum (log_group_retention_days)"
        )
    return f"disagree: ours {ours[1]!r}, Prowler {theirs[1]!r}"


def compare(ours: dict[Key, tuple[bool, str]], theirs: dict[Key, tuple[bool, str]]) -> None:
    prowler_regions = {key[2] for key in theirs}
    groups: dict[tuple[str, str, str, str], list[Key]] = defaultdict(list)
    for key in sorted(ours.keys() | theirs.keys()):
        o, t = ours.get(key), theirs.get(key)
        verdict = (
            ("PASS" if o[0] else "FAIL") if o else "-",
            ("PASS" if t[0] else "FAIL") if t else "-",
        )
        why = explain(key, o, t, prowler_regions)
        groups[(key[0], *verdict, why)].append(key)
    print(f"  {'check':17}{'ours':6}{'Prowler':9}{'resources':>10}  explanation (examples)")
    for (kind, ours_verdict, their_verdict, why), keys in sorted(groups.items()):
        examples = ", ".join(
            f"{k[1]}/{k[2]}" + (f":{k[3]}" if k[0] != "guardduty" else "") for k in keys[:3]
        )
        print(f"  {kind:17}{ours_verdict:6}{their_verdict:9}{len(keys):>10}  {why}")
        print(f"  {'':42}  e.g. {examples}{' ...' if len(keys) > 3 else ''}")


# --- main ---------------------------------------------------------------------------------


def bench(
    estate: Estate, prowler: Path, runs: int, work: Path, *, warm_prowler: bool
) -> dict[str, Any]:
    seeding = time.perf_counter()
    with sandbox(estate.seed, work / f"sandbox-{estate.name}.log") as url:
        control = SandboxControl(url)
        print(
            f"\n== {estate.name}: {len(estate.accounts)} account(s) x "
            f"{len(estate.regions)} regions; sandbox ({control.profile()['name']} profile) "
            f"seeded in {time.perf_counter() - seeding:.0f} s",
            flush=True,
        )
        # One untimed pass first: moto builds a service's backend the first time an
        # account-region touches it, which the first tool timed would pay for the other.
        run_ours(url, estate)
        if warm_prowler:
            run_prowler(prowler, url, estate, work / "prowler-out")
        ours_s, theirs_s = [], []
        cpu: dict[str, tuple[float, float]] = {}
        calls: dict[str, int] = {}
        tool_cpu: dict[str, list[float]] = {"ours": [], "prowler": []}
        for run in range(runs):
            order = ["ours", "prowler"] if run % 2 == 0 else ["prowler", "ours"]
            for who in order:
                control.clear_calls()
                before = _cpu()
                if who == "ours":
                    seconds, report = run_ours(url, estate)
                    ours_s.append(seconds)
                else:
                    seconds, findings = run_prowler(prowler, url, estate, work / "prowler-out")
                    theirs_s.append(seconds)
                after = _cpu()
                cpu[who] = (after[0] - before[0], after[1] - before[1])
                calls[who] = sum(c["count"] for c in control.calls())
                tool_cpu[who].append(cpu[who][0])
            print(
                f"  run {run + 1}: ours {ours_s[-1]:.2f} s (CPU {cpu['ours'][0]:.1f} s, "
                f"sandbox {cpu['ours'][1]:.1f} s, {calls['ours']} calls), Prowler "
                f"{theirs_s[-1]:.2f} s (CPU {cpu['prowler'][0]:.1f} s, sandbox "
                f"{cpu['prowler'][1]:.1f} s, {calls['prowler']} calls)",
                flush=True,
            )
    instances = sum(1 for k in prowler_verdicts(findings) if k[0] == "instance_profile")
    groups = sum(1 for k in prowler_verdicts(findings) if k[0] == "log_retention")
    print(f"  estate as Prowler sees it: {instances} instances, {groups} log groups")
    print("  verdicts, resource by resource (last run):")
    compare(our_verdicts(report, estate), prowler_verdicts(findings))
    checks = Counter(c["check"] for c in report["checks"])
    print(
        f"  (ours also reported {sum(checks.values())} results over {len(checks)} checks "
        "in all; only the three above have a Prowler counterpart)"
    )
    return {
        "estate": estate.name,
        "ours": statistics.median(ours_s),
        "prowler": statistics.median(theirs_s),
        "ours_cpu": statistics.median(tool_cpu["ours"]),
        "prowler_cpu": statistics.median(tool_cpu["prowler"]),
        "ours_calls": calls["ours"],
        "prowler_calls": calls["prowler"],
        "runs": runs,
        "accounts": len(estate.accounts),
        "regions": len(estate.regions),
        "instances": instances,
        "log_groups": groups,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estate", choices=["demo", "large", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--instances", type=int, default=59, help="per region")
    parser.add_argument("--log-groups", type=int, default=30, help="per region")
    parser.add_argument(
        "--undeclared-log-groups",
        action="store_true",
        help="large: leave the seed's log groups out of the spec (ours then "
        "neither checks them nor their ingestion: Prowler-only rows)",
    )
    parser.add_argument(
        "--no-prowler-warm-up",
        action="store_true",
        help="warm the sandbox with our audit only (saves a Prowler pass)",
    )
    args = parser.parse_args()
    prowler = prowler_executable()
    rows = []
    with tempfile.TemporaryDirectory(prefix="peer-prowler-") as tmp:
        work = Path(tmp)
        if args.estate in ("demo", "both"):
            rows.append(
                bench(
                    demo_estate(work),
                    prowler,
                    args.runs,
                    work,
                    warm_prowler=not args.no_prowler_warm_up,
                )
            )
        if args.estate in ("large", "both"):
            rows.append(
                bench(
                    large_estate(
                        work,
                        args.regions,
                        args.instances,
                        args.log_groups,
                        not args.undeclared_log_groups,
                    ),
                    prowler,
                    args.runs,
                    work,
                    warm_prowler=not args.no_prowler_warm_up,
                )
            )
    print(
        f"\n{'estate':8}{'accounts':>9}{'regions':>8}{'instances':>10}{'log groups':>11}"
        f"{'ours (s)':>10}{'Prowler (s)':>12}{'speed-up':>9}  target >= {TARGET_SPEED_UP}x"
    )
    for r in rows:
        speedup = r["prowler"] / r["ours"]
        print(
            f"{r['estate']:8}{r['accounts']:>9}{r['regions']:>8}{r['instances']:>10}"
            f"{r['log_groups']:>11}{r['ours']:>10.2f}{r['prowler']:>12.2f}"
            f"{speedup:>8.1f}x  {'MET' if speedup >= TARGET_SPEED_UP else 'NOT MET'}"
        )
    print(
        f"(medians of {args.runs} runs each, alternating; wall time of the whole command "
        "(interpreter start included); Prowler: one invocation per account, in sequence)"
    )
    _print_cpu_per_call(rows)


def _print_cpu_per_call(rows: list[dict[str, Any]]) -> None:
    """CPU of each tool's own process per AWS call it made: per estate (start-up included),
    and the slope between the estates (the cost of a further call; start-up cancels)."""
    print(f"\n{'CPU per AWS call':20}{'ours':>22}{'Prowler':>22}{'Prowler/ours':>14}")
    for r in rows:
        ours = r["ours_cpu"] / r["ours_calls"]
        theirs = r["prowler_cpu"] / r["prowler_calls"]
        print(
            f"{r['estate']:20}{1000 * ours:>9.1f} ms ({r['ours_calls']:>5} calls)"
            f"{1000 * theirs:>9.1f} ms ({r['prowler_calls']:>5} calls){theirs / ours:>13.1f}x"
        )
    if len(rows) == 2:
        small, large = rows
        ours = (large["ours_cpu"] - small["ours_cpu"]) / (large["ours_calls"] - small["ours_calls"])
        theirs = (large["prowler_cpu"] - small["prowler_cpu"]) / (
            large["prowler_calls"] - small["prowler_calls"]
        )
        print(
            f"{'a further call':20}{1000 * ours:>9.1f} ms{'':13}{1000 * theirs:>9.1f} ms"
            f"{'':13}{theirs / ours:>13.1f}x"
        )
    print("(CPU: the tool's process, user + system, median of the runs; not the sandbox's)")


if __name__ == "__main__":
    main()
