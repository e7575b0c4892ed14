"""Leader election on a real API server: of several replicas, exactly one acts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client, config

from gdpr_operator.handlers._leadership import LEASE_NAME, Lease, LeaseSettings, keep_leading

from fixtures.cluster import Kubectl, free_port, wait_for
from fixtures.operator import OPERATOR_NAMESPACE, OperatorProcess

pytestmark = pytest.mark.e2e


def _api(kubeconfig: Path) -> client.CoordinationV1Api:
    return client.CoordinationV1Api(config.new_client_from_config(str(kubeconfig)))


def test_a_second_replica_stands_by_while_the_first_leads(
    operator: OperatorProcess, installed: Kubectl, tmp_path: Path
) -> None:
    holder = installed.get("lease", LEASE_NAME, OPERATOR_NAMESPACE)["spec"]["holderIdentity"]
    liveness = f"http://127.0.0.1:{free_port()}/healthz"
    log = tmp_path / "standby.log"
    env = {**os.environ, "KUBECONFIG": str(operator.identity.kubeconfig)}
    with log.open("wb") as sink:
        standby = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gdpr_operator",
                "run",
                "--metrics-port",
                str(free_port()),
                "--metrics-address",
                "127.0.0.1",
                "--liveness",
                liveness,
                "--operator-namespace",
                OPERATOR_NAMESPACE,
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for("the standby to say so", lambda: "Standing by" in log.read_text())

        def probe() -> dict[str, bool] | None:
            try:
                with urllib.request.urlopen(liveness, timeout=2) as response:
                    answer: dict[str, bool] = json.load(response)
                    return answer
            except OSError:
                return None

        assert wait_for("the standby's liveness answer", probe) == {"leader": False}
        time.sleep(3)  # several renewals: the leader keeps the lease
        after = installed.get("lease", LEASE_NAME, OPERATOR_NAMESPACE)["spec"]
        assert after["holderIdentity"] == holder
        assert "Handler" not in log.read_text()  # it never reconciled anything
    finally:
        standby.send_signal(signal.SIGTERM)
        standby.wait(timeout=30)


def test_the_lease_passes_to_a_standby_only_after_the_leader_went_silent(
    operator: OperatorProcess, installed: Kubectl
) -> None:
    """Two contenders on a Lease of their own namespace, with short durations."""
    namespace = f"lease-{time.monotonic_ns() % 10**8}"
    installed.run("create", "namespace", namespace)
    api = _api(installed.kubeconfig)
    first = Lease(
        LeaseSettings(namespace, "first", duration_seconds=2, renew_every_seconds=0.5), api
    )
    second = Lease(LeaseSettings(namespace, "second", duration_seconds=2), api)
    assert first.try_acquire()
    assert not second.try_acquire()
    assert first.try_acquire()  # renewing its own lease

    time.sleep(2.5)  # the first went silent past the lease duration
    assert second.try_acquire()
    assert not first.try_acquire()
    lost = threading.Event()
    keep_leading(first, on_lost=lost.set)
    assert lost.wait(timeout=5), "the former leader must notice it lost the lease"
    spec = api.read_namespaced_lease(LEASE_NAME, namespace).spec
    assert spec is not None
    assert (spec.holder_identity, spec.lease_transitions) == ("second", 1)

    second.release()  # a leader that stops gracefully hands over at once
    assert first.try_acquire()
