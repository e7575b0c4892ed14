"""The README's first command, scripts/demo, run as a user would, on free ports of its own:
it converges the estate and shows it, then keeps running until Ctrl-C (SIGINT to its process
group, as a terminal sends it), which stops everything it started. One run: a convergence
is most of its cost."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.cluster import REPO, free_port

pytestmark = pytest.mark.e2e

DEMO = REPO / "scripts" / "demo"
CONVERGE_SECONDS = 420
"""The demo gives the estate 4 minutes; starting the cluster and sandbox comes first."""


@dataclass(frozen=True)
class DemoRun:
    env: dict[str, str]
    ports: tuple[int, ...]
    tmp: Path
    marker: str

    def leftovers(self) -> list[str]:
        """Processes still carrying this run's marker in their environment (every process
        the demo started inherits it, those it detached with setsid included)."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                environ = (proc / "environ").read_bytes()
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f"GDPR_DEMO_TEST_RUN={self.marker}".encode() in environ.split(b"\0"):
                found.append(f"{proc.name}: {command}")
        return found

    def listening(self) -> list[int]:
        open_ports = []
        for port in self.ports:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    open_ports.append(port)
        return open_ports

    def assert_all_gone(self) -> None:
        deadline = time.monotonic() + 30
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert self.leftovers() == []
        assert self.listening() == []
        assert list(self.tmp.iterdir()) == [], "temporary files left behind"


def _metrics_port() -> int:
    """A free port whose successor is free too: the demo serves liveness there."""
    while True:
        port = free_port()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoRun]:
    metrics = _metrics_port()
    ports = {
        "GDPR_DEMO_SANDBOX_PORT": free_port(),
        "GDPR_DEMO_METRICS_PORT": metrics,
        "GDPR_DEMO_CLUSTER_PORT": free_port(),
        "GDPR_DEMO_ETCD_PORT": free_port(),
        "GDPR_DEMO_ETCD_PEER_PORT": free_port(),
    }
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    marker = uuid.uuid4().hex
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "TMPDIR": str(tmp),
        "GDPR_DEMO_TEST_RUN": marker,
    }
    run = DemoRun(env, (*ports.values(), metrics + 1), tmp, marker)
    yield run
    for line in run.leftovers():  # a failed test must not leave the demo running
        os.kill(int(line.split(":")[0]), signal.SIGKILL)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _shows_what_it_promises(output: str) -> None:
    assert "== after: converged" in output
    after = output.split("== after: converged", 1)[1]
    web = next(
        row for line in after.splitlines() if (row := line.split())[:2] == ["security", "web"]
    )
    assert web[2:4] == ["True", "True"], web  # READY, COMPLIANT
    assert "== compliance summary (security/web)" in after
    assert '"nonCompliant":0' in after
    ready = re.compile(r"^gdpr_monitoring_ready\{([^}]*)\} 1\.0$", re.MULTILINE)
    assert any(
        {'namespace="security"', 'monitoring="web"'} <= set(labels.split(","))
        for labels in ready.findall(after)
    ), f"the metrics do not show web Ready:\n{after[-3000:]}"
    assert "gdpr_check_compliant{" in after
    assert "Try it yourself (another terminal):" in after
    assert "gdpr-operator audit -f examples/awsaccounts.yaml" in after


def test_demo_converges_shows_it_and_keeps_running_until_ctrl_c_then_stops_everything(
    demo: DemoRun,
) -> None:
    output = demo.tmp.parent / "demo.out"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [str(DEMO)],
            env=demo.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As from a terminal: a test run started in the background inherits SIGINT
            # ignored, and bash cannot trap a signal ignored when it started.
            preexec_fn=_interruptible,  # noqa: PLW1509 - only resets a signal
        )
    try:
        deadline = time.monotonic() + CONVERGE_SECONDS
        while "== running; Ctrl-C to stop" not in output.read_text():
            assert process.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(1)
        time.sleep(5)
        assert process.poll() is None, "the demo stopped by itself"
        assert demo.listening() != [], "nothing stays up to poke at"
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    shown = output.read_text()
    _shows_what_it_promises(shown)
    assert "== stopping what the demo started" in shown.split("== running; Ctrl-C to stop")[1]
    demo.assert_all_gone()
