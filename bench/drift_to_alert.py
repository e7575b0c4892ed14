"""Drift -> alert: from a change in AWS to the alert firing in Prometheus, and to its delivery
at an Alertmanager webhook receiver.

    scripts/bench drift_to_alert --runs 5

The pipeline of tests/e2e/test_prometheus_alerting.py, built from the same fixtures: a
private local control plane, the sandbox (in this process), the operator, Prometheus
discovering it as the shipped ServiceMonitor says and evaluating the shipped rules, and
Alertmanager. Each run makes two fresh tenants (resync 30s, the CRD's minimum), waits until
Prometheus sees their GuardDuty compliant, waits a random part of the resync interval (so
that the change lands anywhere in the operator's cycle, as a real one would), disables it
in both at once, and times the parts:

- detect: the change -> the operator's /metrics shows it (polled every 0.1s): the wait for
  the next resync, then the pass;
- scrape: -> Prometheus holds the sample (its timestamp; scrape interval 2s);
- evaluate: -> the alert is pending (Prometheus's ALERTS series; evaluation interval 1s);
- for: -> firing (`for:` 10s in this run);
- notify: -> the receiver got it (Alertmanager's group_wait 1s here).

Observe tenant: GdprGuardDutyDisabled (pending, then firing); Enforce tenant:
GdprComplianceDrift (no `for:`, so no pending state; it fires at its first evaluation).

It then computes what the shipped settings give, from the measured parts: resync 5m
(jittered by up to 10%, on a 10s timer), the ServiceMonitor's 30s scrape, a 30s evaluation
interval (prometheus-operator's default; plain Prometheus's is 1m), the shipped `for:` (10m
for GdprGuardDutyDisabled, none for GdprComplianceDrift) and Alertmanager's default
group_wait of 30s. A change lands at a random point of each cycle: the mean waits half an
interval, the worst case a whole one (1.1 x for the jittered resync, plus the timer tick).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ["GDPR_TOOLS_CHECK_ONLY"] = "1"  # tools come from scripts/build-tools, built before

from gdpr_operator.sandbox import running_sandbox

from fixtures.cluster import Kubectl, cluster_environment, install, running_cluster, wait_for
from fixtures.estate import Tenant, new_tenant
from fixtures.monitoring import MonitoringStack, RuleTiming, scraping_operator
from fixtures.operator import OperatorProcess, operator_process, running_operator

RESYNC_SECONDS = 30.0
TIMING = RuleTiming(for_="10s", keep_firing_for="0s")
FOR_SECONDS = 10.0
GROUP_WAIT_SECONDS = 1.0
CHECK = "guardduty.detector_enabled"

SHIPPED_RESYNC = 300.0
SHIPPED_JITTER = 0.1
TIMER_TICK = 10.0
SHIPPED_SCRAPE = 30.0
SHIPPED_EVALUATION = 30.0
SHIPPED_GROUP_WAIT = 30.0
SHIPPED_FOR = {"GdprGuardDutyDisabled": 600.0, "GdprComplianceDrift": 0.0}


@dataclass
class Run:
    alert: str
    detect: float
    scrape: float
    evaluate: float
    for_: float
    notify: float

    @property
    def firing(self) -> float:
        return self.detect + self.scrape + self.evaluate + self.for_

    @property
    def delivered(self) -> float:
        return self.firing + self.notify


class MetricsWatch(threading.Thread):
    """Polls the operator's /metrics: when each watched series first reads 0."""

    def __init__(self, url: str, patterns: dict[str, re.Pattern[str]]) -> None:
        super().__init__(daemon=True)
        self.url, self.patterns = url, patterns
        self.seen: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and len(self.seen) < len(self.patterns):
            with urllib.request.urlopen(self.url, timeout=5) as response:
                text = response.read().decode()
            now = time.time()
            for name, pattern in self.patterns.items():
                if name not in self.seen and pattern.search(text):
                    self.seen[name] = now
            time.sleep(0.1)


def _series(name: str, tenant: Tenant, value: str) -> re.Pattern[str]:
    labels = (
        rf'check="{CHECK}",monitoring="web",namespace="{tenant.namespace}",'
        if name == "gdpr_drift_detected_total"
        else rf'account="{tenant.namespace}",check="{CHECK}",monitoring="web",'
        rf'namespace="{tenant.namespace}",region="eu-west-1"'
    )
    return re.compile(rf"^{name}\{{{labels.rstrip(',')}\}} {value}$", re.MULTILINE)


def _first_sample(stack: MonitoringStack, selector: str, value: str, since: float) -> float:
    """When Prometheus first held `value` for `selector` after `since` (sample timestamp)."""
    series = stack.prometheus.query(f"{selector}[5m]")
    return min(
        float(ts)
        for one in series
        for ts, seen in one["values"]
        if float(ts) > since and seen == value
    )


def one_run(
    admin: Kubectl,
    sandbox_url: str,
    operator: OperatorProcess,
    stack: MonitoringStack,
    offset: float,
) -> list[Run]:
    observe = new_tenant(admin, sandbox_url, "Observe", guardduty=True, resync="30s")
    enforce = new_tenant(admin, sandbox_url, "Enforce", guardduty=False, resync="30s")
    for tenant in (observe, enforce):
        selector = f'namespace="{tenant.namespace}",check="{CHECK}"'
        wait_for(
            f"{tenant.namespace} compliant in Prometheus",
            lambda selector=selector: (
                stack.prometheus.values(f"gdpr_check_compliant{{{selector}}}") == ["1"]
            ),
            timeout=120,
        )
    watch = MetricsWatch(
        operator.metrics_url,
        {
            "observe": _series("gdpr_check_compliant", observe, "0.0"),
            "enforce": _series("gdpr_drift_detected_total", enforce, "1.0"),
        },
    )
    watch.start()
    time.sleep(offset)
    changed = time.time()
    for tenant in (observe, enforce):
        tenant.enable_guardduty(sandbox_url, False)
    runs = []
    for alert, tenant, key, labels, exported in (
        (
            "GdprGuardDutyDisabled",
            observe,
            "observe",
            observe.labels,
            (f'gdpr_check_compliant{{namespace="{observe.namespace}",check="{CHECK}"}}', "0"),
        ),
        (
            "GdprComplianceDrift",
            enforce,
            "enforce",
            {"namespace": enforce.namespace, "monitoring": "web", "check": CHECK},
            (f'gdpr_drift_detected_total{{namespace="{enforce.namespace}",check="{CHECK}"}}', "1"),
        ),
    ):
        deliveries = wait_for(
            f"{alert} delivered for {tenant.namespace}",
            lambda alert=alert, labels=labels: stack.receiver.received(
                "firing", alertname=alert, **labels
            ),
            timeout=180,
        )
        states = stack.prometheus.first_states(alert, labels, since=changed)
        scraped = _first_sample(stack, *exported, since=changed)
        pending = states.get("pending", states["firing"])
        runs.append(
            Run(
                alert=alert,
                detect=watch.seen[key] - changed,
                scrape=scraped - watch.seen[key],
                evaluate=pending - scraped,
                for_=states["firing"] - pending,
                notify=deliveries[0].received_at - states["firing"],
            )
        )
    watch.done.set()
    for tenant in (observe, enforce):  # (the local control plane collects no namespace)
        admin.run("delete", "gdprmonitoring", "web", "-n", tenant.namespace)
        admin.run("delete", "awsaccount", tenant.namespace)
    return runs


def _pass_seconds(operator: OperatorProcess) -> float:
    """The operator's mean reconcile time so far (its histogram's sum / count)."""
    text = operator.metrics()
    total, count = (
        float(re.findall(rf"^gdpr_reconcile_duration_seconds_{part} (\S+)$", text, re.M)[0])
        for part in ("sum", "count")
    )
    return total / count


def _shipped(alert: str, pass_seconds: float, overhead: float) -> tuple[float, float, float, float]:
    """(mean firing, worst firing, mean delivered, worst delivered) under shipped settings."""
    mean_detect = SHIPPED_RESYNC / 2 + TIMER_TICK / 2 + pass_seconds
    worst_detect = SHIPPED_RESYNC * (1 + SHIPPED_JITTER) + TIMER_TICK + pass_seconds
    mean = mean_detect + SHIPPED_SCRAPE / 2 + SHIPPED_EVALUATION / 2 + SHIPPED_FOR[alert]
    worst = worst_detect + SHIPPED_SCRAPE + SHIPPED_EVALUATION + SHIPPED_FOR[alert]
    notify = SHIPPED_GROUP_WAIT + overhead
    return mean, worst, mean + notify, worst + notify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="of the changes' random offsets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drift-to-alert-") as scratch:
        directory = Path(scratch)
        env = cluster_environment(directory / "cluster")
        (directory / "operator").mkdir()
        (directory / "monitoring").mkdir()
        with (
            running_sandbox(seed=None) as sandbox_url,
            running_cluster(env) as admin,
        ):
            install(admin)
            with (
                running_operator(
                    operator_process(admin, env, sandbox_url, directory / "operator")
                ) as operator,
                scraping_operator(
                    admin, operator.metrics_url, directory / "monitoring", TIMING
                ) as stack,
            ):
                runs: list[Run] = []
                offsets = random.Random(args.seed)
                for number in range(1, args.runs + 1):
                    offset = offsets.uniform(0, RESYNC_SECONDS)
                    done = one_run(admin, sandbox_url, operator, stack, offset)
                    for run in done:
                        print(
                            f"run {number} {run.alert}: detect {run.detect:.1f}s, scrape "
                            f"{run.scrape:.1f}s, evaluate {run.evaluate:.1f}s, for "
                            f"{run.for_:.1f}s, notify {run.notify:.2f}s -> firing "
                            f"{run.firing:.1f}s, delivered {run.delivered:.1f}s",
                            flush=True,
                        )
                    runs += done
                pass_seconds = _pass_seconds(operator)
    _report(runs, pass_seconds)
    return 0


def _report(runs: list[Run], pass_seconds: float) -> None:
    print(f"\nmean reconcile pass: {pass_seconds:.2f}s")
    print(
        "\nmeasured (resync 30s, scrape 2s, evaluation 1s, for 10s, group_wait 1s), "
        f"median of {len(runs) // 2} runs [min-max]:"
    )
    for alert in SHIPPED_FOR:
        mine = [run for run in runs if run.alert == alert]

        def cell(part: Callable[[Run], float], mine: list[Run] = mine) -> str:
            values = [part(run) for run in mine]
            return f"{statistics.median(values):.1f}s [{min(values):.1f}-{max(values):.1f}]"

        print(
            f"  {alert}: detect {cell(lambda r: r.detect)}, scrape {cell(lambda r: r.scrape)}, "
            f"evaluate {cell(lambda r: r.evaluate)}, for {cell(lambda r: r.for_)}, notify "
            f"{cell(lambda r: r.notify)}\n"
            f"    -> firing {cell(lambda r: r.firing)}, delivered {cell(lambda r: r.delivered)}"
        )
    print(
        "\ncomputed for the shipped settings (resync 5m, scrape 30s, evaluation 30s, shipped "
        "for:, group_wait 30s), from the measured pass and notification overhead:"
    )
    for alert in SHIPPED_FOR:
        mine = [run for run in runs if run.alert == alert]
        overhead = statistics.median(run.notify for run in mine) - GROUP_WAIT_SECONDS
        mean, worst, mean_delivered, worst_delivered = _shipped(alert, pass_seconds, overhead)
        print(
            f"  {alert}: firing {mean / 60:.1f} min on average, {worst / 60:.1f} min at worst; "
            f"delivered {mean_delivered / 60:.1f} min on average, "
            f"{worst_delivered / 60:.1f} min at worst"
        )


if __name__ == "__main__":
    sys.exit(main())
