"""This project's audit against Prowler's, on one sandbox estate: verdicts and wall time.

    [GDPR_SANDBOX_PROFILE=aws] scripts/bench peer_prowler
        [--estate demo|large|both] [--checks core|services] [--runs 3] [--regions 17]
        [--instances 59] [--log-groups 30]

For each estate, a sandbox runs in a child process (in the profile GDPR_SANDBOX_PROFILE
names, as the tests select it), and then, RUNS times, alternating which goes first:

- ours: `gdpr-operator audit -f ACCOUNTS -f MONITORING --format json`, a subprocess with
  AWS_ENDPOINT_URL pointing at the sandbox (Observe: reads only), through the
  `gdpr-operator` role its AwsAccount names;
- Prowler: `prowler aws` with the same endpoint and dummy keys, restricted to the estate's
  regions and to the checks both tools have (`SUITES`: `core`, the first three,
  guardduty_is_enabled, ec2_instance_profile_attached and
  cloudwatch_log_group_retention_policy_specific_days_enabled; `services`, those of the
  runbook's further services and the flow logs), JSON-OCSF output; one run per account
  (Prowler scans one account per invocation), through `--role` the sandbox's administrator
  role (the sandbox enforces IAM, and Prowler's reads need more than the operator's policy).

Prowler (pinned, `PROWLER_VERSION`) is installed from PyPI with uv into a throwaway
virtualenv under the user's cache directory (never into the project's: its pins clash with
ours). Then the verdicts of the last run are compared resource by resource (GuardDuty per
account x region, instance ids, log group names; distributions, web ACL ARNs, Trusted
Advisor checks, VPC ids; S3 data events and the Support plan per account) and every
difference is explained; wall times are medians of the RUNS. Each run also counts the AWS
calls the tool made (the sandbox's call log) and the CPU time of the tool's own process
(user + system, interpreter start included; not the sandbox's): CPU per call, and, when
both estates run, the CPU each further call costs (the difference between the estates'
medians over the difference of their calls, which cancels the start-up).

Estates:
- demo: the `demo` seed (2 accounts x 3 regions), examples/awsaccounts.yaml and a
  GdprMonitoring (Observe, both accounts and regions, instances tagged gdpr-scope=web,
  logs under /gdpr/web with the example's presets, auditChecks those of the suite);
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
import re
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

from gdpr_operator.sandbox import SandboxControl

from aws_bench_support import LARGE_ACCOUNT_BASE, live_children_cpu_seconds, sandbox_process

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Suite:
    """Checks both tools have: Prowler's and ours, each mapped to the kind of resource
    verdict they are compared as, and the auditChecks our GdprMonitoring lists for them."""

    name: str
    prowler: dict[str, str]
    ours: dict[str, str]
    audit_checks: list[str]
    ours_alone: dict[str, str]
    """Our checks of the suite that Prowler has no counterpart for, and why."""


SUITES = {
    "core": Suite(
        "core",
        prowler={
            "guardduty_is_enabled": "guardduty",
            "ec2_instance_profile_attached": "instance_profile",
            "cloudwatch_log_group_retention_policy_specific_days_enabled": "log_retention",
        },
        ours={
            "guardduty.detector_enabled": "guardduty",
            "ec2.instance_profile_attached": "instance_profile",
            "logs.retention": "log_retention",
        },
        audit_checks=[],
        ours_alone={},
    ),
    # The runbook's further services (issue 21), plus the flow logs both tools check.
    "services": Suite(
        "services",
        prowler={
            "cloudfront_distributions_using_waf": "cloudfront_waf",
            "wafv2_webacl_logging_enabled": "waf_logging",
            # Prowler checks read and write data events apart; ours asks for both.
            "cloudtrail_s3_dataevents_read_enabled": "s3_data_events",
            "cloudtrail_s3_dataevents_write_enabled": "s3_data_events",
            "trustedadvisor_errors_and_warnings": "trusted_advisor",
            "trustedadvisor_premium_support_plan_subscribed": "support_plan",
            "vpc_flow_logs_enabled": "vpc_flow_logs",
        },
        ours={
            "cloudfront.waf_attached": "cloudfront_waf",
            "waf.logging": "waf_logging",
            "s3.object_level_logging": "s3_data_events",
            "trustedadvisor.security": "trusted_advisor",
            "vpc.flow_logs": "vpc_flow_logs",
        },
        audit_checks=[
            "cloudfront.waf_attached",
            "waf.logging",
            "s3.object_level_logging",
            "config.rules_compliance",
            "trustedadvisor.security",
            "vpc.flow_logs",
        ],
        ours_alone={
            "config.rules_compliance": "Prowler has no check of AWS Config rules' own "
            "verdicts (its Config checks look at the recorder and the aggregator)",
        },
    ),
}
GLOBAL_KINDS = {"cloudfront_waf", "waf_logging", "trusted_advisor", "support_plan"}
"""Compared without a region: CloudFront, its web ACLs and Trusted Advisor are global
(ours reports region "global", Prowler the API's region, us-east-1)."""
ACCOUNT_KINDS = {"s3_data_events", "support_plan"}
"""Compared per account: Prowler judges "a trail records S3 data events for all buckets" once
per account, ours each bucket in scope (the account passes when every bucket does)."""
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
PROWLER_VERSION = "5.46.0"
RETENTION_DAYS = 365  # ours (spec) and Prowler's log_group_retention_days default alike
TARGET_SPEED_UP = 20


@dataclass(frozen=True)
class Account:
    name: str
    account_id: str
    external_id: str | None

    @property
    def role_arn(self) -> str:
        """The role our audit assumes: the operator's."""
        return f"arn:aws:iam::{self.account_id}:role/gdpr-operator"

    @property
    def prowler_role_arn(self) -> str:
        """The role Prowler assumes: the sandbox enforces each role's IAM policy, and
        Prowler's reads need more than the operator's policy grants (Prowler asks for
        SecurityAudit and ViewOnlyAccess); the sandbox's administrator holds them."""
        return f"arn:aws:iam::{self.account_id}:role/gdpr-sandbox-admin"


@dataclass(frozen=True)
class Estate:
    name: str
    seed: list[str]
    accounts: list[Account]
    regions: list[str]
    files: list[Path]
    suite: Suite


# --- Prowler in a throwaway virtualenv ---------------------------------------------------


def prowler_executable() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = cache / "gdpr-operator" / "bench-prowler-venv"
    prowler = home / "bin" / "prowler"
    if _version(prowler) != f"Prowler {PROWLER_VERSION}":
        print(
            f"installing Prowler {PROWLER_VERSION} from PyPI into a throwaway virtualenv "
            f"({home.name}) ...",
            flush=True,
        )
        shutil.rmtree(home, ignore_errors=True)
        venv.EnvBuilder(with_pip=True).create(home)
        # pip's resolver took over an hour over Prowler's pins; uv resolves them in seconds.
        for step in (
            [str(home / "bin" / "pip"), "install", "-q", "uv"],
            [
                str(home / "bin" / "uv"),
                "pip",
                "install",
                "-q",
                "--python",
                str(home / "bin" / "python"),
                f"prowler=={PROWLER_VERSION}",
            ],
        ):
            done = subprocess.run(step, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"BLOCKED: {' '.join(step[:3])} failed:\n{done.stderr[-3000:]}")
    print(f"Prowler: {_version(prowler)}", flush=True)
    return prowler


def _version(prowler: Path) -> str | None:
    if not prowler.exists():
        return None
    done = subprocess.run([str(prowler), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


# --- the estates --------------------------------------------------------------------------


def demo_estate(work: Path, suite: Suite) -> Estate:
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
                    "auditChecks": suite.audit_checks,
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
        suite,
    )


def large_estate(
    work: Path,
    regions: int,
    instances: int,
    log_groups: int,
    *,
    suite: Suite,
    declare_log_groups: bool = True,
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
                "auditChecks": suite.audit_checks,
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
    return Estate("large", seed, [account], LARGE_REGIONS[:regions], [manifests], suite)


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
            account.prowler_role_arn,
            "--checks",
            *estate.suite.prowler,
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
Verdict = tuple[str, str]  # (PASS, FAIL or MANUAL; the tool's reason)
_WORST = ("FAIL", "MANUAL", "PASS")
TRUSTED_ADVISOR_CHECK = re.compile(r"Trusted Advisor check (.+) is in state ")


def _key(kind: str, account: str, region: str, resource: str) -> Key:
    if kind in ACCOUNT_KINDS:
        return (kind, account, "-", "account")
    return (kind, account, "-" if kind in GLOBAL_KINDS else region, resource)


def _add(verdicts: dict[Key, Verdict], key: Key, verdict: Verdict) -> None:
    """Several verdicts on one key (an account's buckets, Prowler's read and write checks)
    make one: the worst, with the reasons that differ."""
    if key in verdicts:
        (status, reason), (other, why) = verdicts[key], verdict
        worst = min(status, other, key=_WORST.index)
        verdict = (worst, reason if why == reason else f"{reason}; {why}")
    verdicts[key] = verdict


def our_verdicts(report: dict[str, Any], estate: Estate) -> dict[Key, Verdict]:
    ids = {a.name: a.account_id for a in estate.accounts}
    verdicts: dict[Key, Verdict] = {}
    for check in report["checks"]:
        kind = estate.suite.ours.get(check["check"])
        if kind is None:
            continue
        account = ids[check["account"]]
        status = "PASS" if check["compliant"] else "FAIL"
        if kind == "trusted_advisor" and check["reason"].startswith("not available"):
            # No Support plan with the API: ours reports that one result, which is
            # Prowler's support-plan check.
            kind = "support_plan"
        resource = "detector" if kind == "guardduty" else check["resource"]
        _add(verdicts, _key(kind, account, check["region"], resource), (status, check["reason"]))
    if "support_plan" in estate.suite.prowler.values():
        for account in ids.values():  # a plan: ours read Trusted Advisor's checks
            if ("support_plan", account, "-", "account") not in verdicts:
                verdicts[("support_plan", account, "-", "account")] = ("PASS", "checks read")
    return verdicts


def prowler_verdicts(findings: list[dict[str, Any]], estate: Estate) -> dict[Key, Verdict]:
    verdicts: dict[Key, Verdict] = {}
    for finding in findings:
        kind = estate.suite.prowler.get(finding["metadata"]["event_code"])
        if kind is None or finding["status_code"] not in _WORST:
            continue
        resource = finding["resources"][0]
        account = resource["uid"].split(":")[4] or finding["cloud"]["account"]["uid"]
        name = resource["uid"] if kind == "waf_logging" else resource["name"]
        named = TRUSTED_ADVISOR_CHECK.match(finding["status_detail"])
        if kind == "trusted_advisor" and named:  # Prowler names the check by id, ours by name
            name = named[1]
        key = _key(kind, account, resource["region"], "detector" if kind == "guardduty" else name)
        _add(verdicts, key, (finding["status_code"], finding["status_detail"]))
    return verdicts


def explain(
    key: Key, ours: Verdict | None, theirs: Verdict | None, scanned: set[tuple[str, str]]
) -> str:
    kind = key[0]
    if theirs is None and key[2] != "-" and (key[1], key[2]) not in scanned:
        return (
            "ours only: Prowler made no call in the region, not listed as enabled by the "
            "account's DescribeRegions(AllRegions=False) (an opt-in region the sandbox "
            "reports not opted in); ours audits the regions its spec lists"
        )
    if ours is None:
        return PROWLER_ONLY.get(kind, "Prowler only")
    if theirs is None:
        if kind == "log_retention" and "does not exist" in ours[1]:
            return (
                "ours only: a log group the agent config needs that does not exist yet; "
                "Prowler can only judge resources that exist"
            )
        return OURS_ONLY.get(kind, "ours only")
    if ours[0] == theirs[0]:
        return "agree"
    if kind == "log_retention" and "never expire" in ours[1]:
        return (
            "never-expire retention: ours non-compliant (storage limitation, Art. "
            "5(1)(e): kept forever), Prowler compliant (never expiring >= its minimum "
            f"of {RETENTION_DAYS} days)"
        )
    if kind == "log_retention" and ours[0] == "FAIL" and theirs[0] == "PASS":
        return (
            "retention longer than the spec: ours wants exactly the spec's days, "
            "Prowler only a minimum (log_group_retention_days)"
        )
    return f"disagree: ours {ours[1]!r}, Prowler {theirs[1]!r}"


PROWLER_ONLY = {
    "instance_profile": (
        "Prowler only: an instance outside our selector (gdpr-scope=web); we never look at it"
    ),
    "log_retention": (
        "Prowler only: a log group our spec does not own (outside the groups the agent "
        "ships to under /gdpr/web); Prowler checks every group"
    ),
    "waf_logging": (
        "Prowler only: a web ACL in front of no CloudFront distribution; ours checks the "
        "logging of those that protect one"
    ),
    "trusted_advisor": (
        "Prowler only: no Support plan with the API, so Prowler's MANUAL (no verdict); ours "
        "reports it once, as the support_plan row"
    ),
}
OURS_ONLY = {
    "vpc_flow_logs": (
        "ours only: a VPC with no network interface in it, which Prowler counts as unused "
        "and skips (unless --scan-unused-services); ours checks every VPC"
    ),
}


def compare(
    ours: dict[Key, Verdict], theirs: dict[Key, Verdict], scanned: set[tuple[str, str]]
) -> None:
    """`scanned`: the (account, region) pairs Prowler made calls in."""
    groups: dict[tuple[str, str, str, str], list[Key]] = defaultdict(list)
    for key in sorted(ours.keys() | theirs.keys()):
        o, t = ours.get(key), theirs.get(key)
        why = explain(key, o, t, scanned)
        groups[(key[0], o[0] if o else "-", t[0] if t else "-", why)].append(key)
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
                log = control.calls()
                calls[who] = sum(c["count"] for c in log)
                if who == "prowler":
                    scanned = {(c["account"], c["region"]) for c in log}
                tool_cpu[who].append(cpu[who][0])
            print(
                f"  run {run + 1}: ours {ours_s[-1]:.2f} s (CPU {cpu['ours'][0]:.1f} s, "
                f"sandbox {cpu['ours'][1]:.1f} s, {calls['ours']} calls), Prowler "
                f"{theirs_s[-1]:.2f} s (CPU {cpu['prowler'][0]:.1f} s, sandbox "
                f"{cpu['prowler'][1]:.1f} s, {calls['prowler']} calls)",
                flush=True,
            )
    theirs = prowler_verdicts(findings, estate)
    seen = Counter(key[0] for key in theirs)
    print(f"  estate as Prowler sees it: {dict(sorted(seen.items()))} verdicts by kind")
    print(f"  verdicts, resource by resource (last run, checks: {estate.suite.name}):")
    compare(our_verdicts(report, estate), theirs, scanned)
    for check, why in estate.suite.ours_alone.items():
        results = [c for c in report["checks"] if c["check"] == check]
        failing = sum(1 for c in results if not c["compliant"])
        print(f"  {check}: ours only, {len(results)} results ({failing} failing): {why}")
    checks = Counter(c["check"] for c in report["checks"])
    print(
        f"  (ours reported {sum(checks.values())} results over {len(checks)} checks in all; "
        "only those above have a Prowler counterpart)"
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
        "instances": seen["instance_profile"],
        "log_groups": seen["log_retention"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estate", choices=["demo", "large", "both"], default="both")
    parser.add_argument(
        "--checks",
        choices=sorted(SUITES),
        default="core",
        help="core: GuardDuty, instance profiles, log retention; services: CloudFront WAF, "
        "WAF logging, S3 data events, Trusted Advisor, flow logs (and Config rules, ours only)",
    )
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
    suite = SUITES[args.checks]
    rows = []
    with tempfile.TemporaryDirectory(prefix="peer-prowler-") as tmp:
        work = Path(tmp)
        if args.estate in ("demo", "both"):
            rows.append(
                bench(
                    demo_estate(work, suite),
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
                        suite=suite,
                        declare_log_groups=not args.undeclared_log_groups,
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
