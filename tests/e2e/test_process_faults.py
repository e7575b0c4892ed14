"""Process faults: the operator killed mid-reconcile and restarted, the API server restarted.
Each ends converged, with nothing duplicated in AWS and a deletion that completes.

These tests stop and start the session's operator and API server: they leave both running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.handlers._leadership import LEASE_NAME
from gdpr_operator.sandbox import SandboxControl

from fixtures.cluster import LOCAL_CLUSTER, Kubectl, wait_for, wait_ready
from fixtures.faults import (
    REGIONS,
    apply_fault_estate,
    assert_converged_without_duplicates,
    assert_deletion_not_stuck,
    estate_mid_first_pass,
    launch_estate,
)
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess

pytestmark = pytest.mark.e2e


def _lease(admin: Kubectl) -> dict[str, Any]:
    spec: dict[str, Any] = admin.get("lease", LEASE_NAME, OPERATOR_NAMESPACE)["spec"]
    return spec


def _crash_and_restart_api_server(cluster_env: dict[str, str]) -> None:
    """SIGKILL kube-apiserver (etcd keeps running), then start it again."""
    pid_file = Path(cluster_env["GDPR_CLUSTER_DIR"]) / "kube-apiserver.pid"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    time.sleep(1)
    subprocess.run(
        [str(LOCAL_CLUSTER), "up"], env=cluster_env, capture_output=True, check=True, timeout=120
    )


async def test_killed_mid_reconcile_and_restarted_it_converges_without_duplicates(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    before = _lease(installed)
    estate = await estate_mid_first_pass(layer, installed, sandbox, scratch_account, latency_ms=400)

    operator.stop(signal.SIGKILL)
    sandbox.clear_faults()
    operator.start()

    # The killed replica never released the Lease: the new one takes it once it expires.
    after = wait_for(
        "the restarted operator to lead",
        lambda: (
            lease
            if (lease := _lease(installed))["holderIdentity"] != before["holderIdentity"]
            else None
        ),
        timeout=60,
    )
    assert after["leaseTransitions"] == before.get("leaseTransitions", 0) + 1
    await assert_converged_without_duplicates(layer, installed, estate)
    assert_deletion_not_stuck(installed, estate)


async def test_the_api_server_restarted_under_the_operator(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    local_cluster_env: dict[str, str],
) -> None:
    estate = apply_fault_estate(
        installed, scratch_account, await launch_estate(layer, scratch_account)
    )
    wait_ready(installed, estate.namespace, "True", timeout=120)
    log_before = operator.log.read_text()

    _crash_and_restart_api_server(local_cluster_env)

    assert operator.process is not None
    if operator.process.poll() is not None:
        # The outage outlasted the renew deadline: the leader stopped rather than risk a
        # second leader; Kubernetes would restart it, as this does.
        assert "leadership lost" in operator.log.read_text()
        operator.start()
    else:
        # The outage shows in the log: a failed renewal, or kopf's watch retrying.
        assert re.search(
            r"Lease renewal failed|Request attempt #\d+/\d+ failed",
            operator.log.read_text()[len(log_before) :],
        )
    # A change made after the restart is seen (the watch is back) and carried out: the
    # retention, in the log groups and in the agent's configuration.
    installed.run(
        "patch",
        "gdprmonitoring",
        "web",
        "-n",
        estate.namespace,
        "--type=merge",
        "-p",
        '{"spec": {"logs": {"retentionDays": 60}}}',
    )
    await assert_converged_without_duplicates(layer, installed, estate, generation=2)
    groups = (
        await layer.call(
            Target(scratch_account, REGIONS[0]),
            "logs",
            "describe_log_groups",
            logGroupNamePrefix=f"/gdpr/{estate.namespace}",
        )
    )["logGroups"]
    assert groups
    assert {g["retentionInDays"] for g in groups} == {60}
    assert_deletion_not_stuck(installed, estate)
