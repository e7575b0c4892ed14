"""Drift events: from a GuardDuty detector disabled by another principal to its repair, and
to the Kubernetes Event that names that principal, with AwsAccount events.mode Managed.

    scripts/bench drift_events --trials 20

A private local control plane, the sandbox (in this process, delivery delay
GDPR_SANDBOX_EVENT_DELAY, 0 unless set), the operator; one Enforce tenant with
`resyncInterval: 1h`, so that only an event can bring the pass within the run. Each trial:
Admin/alice disables the detector; the detector is polled (every 50 ms) until ENABLED again
(repair) and the tenant's Events (every 200 ms) until one more DriftDetected names alice
(Event). Prints each trial and the median and 95th percentile of both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ["GDPR_TOOLS_CHECK_ONLY"] = "1"  # tools come from scripts/build-tools, built before

from gdpr_operator.aws import Target
from gdpr_operator.sandbox import other_principal, running_sandbox

from fixtures.cluster import (
    Kubectl,
    cluster_environment,
    install,
    new_namespace,
    running_cluster,
    wait_for,
    wait_ready,
)
from fixtures.estate import apply_estate
from fixtures.operator import operator_process, running_operator
from fixtures.sandbox import new_scratch_account, sandbox_call

REGION = "eu-west-1"
TIMEOUT_SECONDS = 120.0


def _drift_events(admin: Kubectl, namespace: str, principal: str) -> int:
    return sum(
        1
        for event in admin.events(namespace, "web")
        if event["reason"] == "DriftDetected" and principal in event["message"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    repairs: list[float] = []
    events: list[float] = []
    with tempfile.TemporaryDirectory(prefix="drift-events-") as scratch:
        directory = Path(scratch)
        env = cluster_environment(directory / "cluster")
        (directory / "operator").mkdir()
        with running_sandbox(seed=None) as url, running_cluster(env) as admin:
            install(admin)
            with running_operator(operator_process(admin, env, url, directory / "operator")):
                account = new_scratch_account()
                namespace = new_namespace(admin)
                apply_estate(
                    admin,
                    namespace,
                    account,
                    drift_events="Managed",
                    managementPolicy="Enforce",
                    resyncInterval="1h",
                )
                wait_ready(admin, namespace, "True", timeout=TIMEOUT_SECONDS)  # detector made
                operator_view = Target(account, REGION)
                (detector,) = sandbox_call(url, operator_view, "guardduty", "list_detectors")[
                    "DetectorIds"
                ]
                alice = Target(other_principal(account.account_id, "alice"), REGION)
                principal = f"arn:aws:sts::{account.account_id}:assumed-role/Admin/alice"
                for trial in range(1, args.trials + 1):
                    before = _drift_events(admin, namespace, principal)
                    changed = time.monotonic()
                    disable = {"DetectorId": detector, "Enable": False}
                    sandbox_call(url, alice, "guardduty", "update_detector", **disable)
                    wait_for(
                        "the detector re-enabled",
                        lambda: (
                            sandbox_call(
                                url, operator_view, "guardduty", "get_detector", DetectorId=detector
                            )["Status"]
                            == "ENABLED"
                        ),
                        timeout=TIMEOUT_SECONDS,
                        interval=0.05,
                    )
                    repairs.append(time.monotonic() - changed)
                    wait_for(
                        "the DriftDetected Event naming alice",
                        lambda before=before: _drift_events(admin, namespace, principal) > before,
                        timeout=TIMEOUT_SECONDS,
                        interval=0.2,
                    )
                    events.append(time.monotonic() - changed)
                    print(
                        f"trial {trial}: repaired {repairs[-1]:.2f}s, Event {events[-1]:.2f}s",
                        flush=True,
                    )
    for what, values in (("repaired", repairs), ("Event naming alice", events)):
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        print(
            f"{what}: median {statistics.median(values):.2f}s, p95 {p95:.2f}s "
            f"[{min(values):.2f}-{max(values):.2f}] over {len(values)} trials"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
