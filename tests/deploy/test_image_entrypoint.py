"""The image's command, exactly as the Deployment runs it (ENTRYPOINT + the Deployment's
args, which replace CMD), started against the local control plane under the operator's
ServiceAccount: liveness and /metrics answer. The only change: the Deployment's two port
numbers are swapped for free ones, so that nothing else on the machine clashes with it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from fixtures.cluster import Kubectl, free_port, service_account_identity, wait_for
from fixtures.deploy import REPO, find, kustomize
from fixtures.dockerfile import final_stage

PORT_FLAGS = ("--metrics-port=", "--liveness=")


def _container(kubectl: Path) -> tuple[dict[str, Any], str, str]:
    """The Deployment's container, its namespace and its ServiceAccount."""
    deployment = find(kustomize(kubectl, REPO / "deploy" / "base"), "Deployment", "gdpr-operator")
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    return container, deployment["metadata"]["namespace"], pod["serviceAccountName"]


def _argv_and_ports(container: dict[str, Any]) -> tuple[list[str], int, int, str]:
    """The command the container runs; the metrics and liveness ports and liveness path."""
    stage = final_stage(REPO / "Dockerfile")
    assert "command" not in container, "the Deployment must run the image's ENTRYPOINT"
    args = container.get("args", stage.cmd)
    assert args[: len(stage.cmd)] == stage.cmd, "the Deployment's args must start with CMD"
    flags = {flag: arg[len(flag) :] for arg in args for flag in PORT_FLAGS if arg.startswith(flag)}
    assert set(flags) == set(PORT_FLAGS), f"the Deployment must set {PORT_FLAGS}: {args}"
    liveness = urllib.request.urlparse(flags["--liveness="])
    assert liveness.port is not None
    return [*stage.entrypoint, *args], int(flags["--metrics-port="]), liveness.port, liveness.path


def test_deployment_ports_agree_with_its_args(kubectl_binary: Path) -> None:
    container, _, _ = _container(kubectl_binary)
    _, metrics_port, liveness_port, liveness_path = _argv_and_ports(container)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["metrics"] == metrics_port
    probe = container["livenessProbe"]["httpGet"]
    assert (ports[probe["port"]], probe["path"]) == (liveness_port, liveness_path)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_image_command_serves_liveness_and_metrics(
    installed: Kubectl, local_cluster_env: dict[str, str], kubectl_binary: Path, tmp_path: Path
) -> None:
    container, namespace, service_account = _container(kubectl_binary)
    argv, _, liveness_port, liveness_path = _argv_and_ports(container)
    new_metrics, new_liveness = free_port(), free_port()
    argv = [
        arg.replace(f":{liveness_port}/", f":{new_liveness}/")
        if arg.startswith("--liveness=")
        else f"--metrics-port={new_metrics}"
        if arg.startswith("--metrics-port=")
        else arg
        for arg in argv
    ]
    identity = service_account_identity(installed, local_cluster_env, namespace, service_account)
    # The image's PATH puts its virtualenv first; here that is this test's virtualenv.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    executable = shutil.which(argv[0], path=path)
    assert executable is not None
    assert Path(executable).parent == Path(sys.executable).parent
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PATH=path, KUBECONFIG=str(identity.kubeconfig), GDPR_OPERATOR_NAMESPACE=namespace
    )  # the downward API's metadata.namespace
    log = tmp_path / "operator.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [executable, *argv[1:]], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            "the liveness endpoint",
            lambda: (
                process.poll() is not None
                or _get(f"http://127.0.0.1:{new_liveness}{liveness_path}")[0] == 200
            ),
        )
        assert process.poll() is None, f"exited early:\n{log.read_text()}"
        status, metrics = _get(f"http://127.0.0.1:{new_metrics}/metrics")
        assert status == 200
        assert 'gdpr_reconcile_total{result="success"}' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode is not None
