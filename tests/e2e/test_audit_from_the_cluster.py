"""The README's example of auditing what a cluster holds, run as written: `kubectl get -o yaml`
prints a List (status, managed fields and all), read from standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdpr_operator.aws import AccountAccess

from fixtures.cluster import Kubectl, wait_ready
from fixtures.estate import apply_estate
from fixtures.operator import OperatorProcess
from fixtures.sandbox import AMBIENT_AWS_VARIABLES, sandbox_environment

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
COMMAND = "kubectl get awsaccounts,gdprmonitorings -n security -o yaml | gdpr-operator audit -f -"


def test_kubectl_get_piped_into_audit(
    operator: OperatorProcess,
    installed: Kubectl,
    sandbox_url: str,
    scratch_account: AccountAccess,
) -> None:
    assert f"$ {COMMAND}\n" in (REPO / "README.md").read_text()
    installed.apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: security}\n")
    apply_estate(installed, "security", scratch_account)  # Observe: the operator only reads
    # The operator's status is in what kubectl prints: a fresh account, not compliant.
    wait_ready(installed, "security", "False", timeout=120)

    ambient = {k: v for k, v in os.environ.items() if k not in AMBIENT_AWS_VARIABLES}
    path = os.pathsep.join(
        [str(installed.binary.parent), str(Path(sys.executable).parent), ambient["PATH"]]
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", COMMAND],
        env={
            **ambient,
            **sandbox_environment(sandbox_url),
            "PATH": path,
            "KUBECONFIG": str(installed.kubeconfig),
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # read, audited, not compliant
    assert "security/web" in done.stdout
    assert "0 error(s)" in done.stdout
