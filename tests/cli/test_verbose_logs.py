"""`gdpr-operator -v`: debug logging of AWS calls shows no secret, through AssumeRole with an
ExternalId: not the ExternalId, not the assumed session's secret key or session token."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml
from moto.sts.models import sts_backends

from gdpr_operator.sandbox import operator_access

from fixtures.sandbox import sandbox_environment


def _sessions(account_id: str) -> list[tuple[str, str]]:
    """(secret key, session token) of each session the sandbox issued into the account (moto's
    state lives in this process: the session's sandbox serves from a thread)."""
    return [
        (role.secret_access_key, role.session_token)
        for partition in sts_backends[account_id].values()
        for role in partition.assumed_roles
    ]


def test_verbose_output_never_shows_external_id_or_session_keys(
    sandbox_env: str, tmp_path: Path
) -> None:
    external_id = f"ext-{secrets.token_hex(12)}"
    account = operator_access("guarded", f"5{secrets.randbelow(10**11):011d}", external_id)
    estate = tmp_path / "estate.yaml"
    estate.write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "AwsAccount",
                    "metadata": {"name": "guarded"},
                    "spec": {
                        "accountId": account.account_id,
                        "allowedNamespaces": ["security"],
                        "assumeRole": {
                            "roleArn": account.role_arn,
                            "externalIdSecretRef": {"name": "guarded-id", "key": "externalId"},
                        },
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "guarded-id", "namespace": "gdpr-system"},
                    "stringData": {"externalId": external_id},
                },
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": "web", "namespace": "security"},
                    "spec": {
                        "accounts": ["guarded"],
                        "regions": ["eu-west-1"],
                        "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                    },
                },
            ]
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "gdpr_operator", "-v", "audit", "-f", str(estate)],
        env={**os.environ, **sandbox_environment(sandbox_env)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-3000:]  # a fresh account: not compliant
    sessions = _sessions(account.account_id)
    assert sessions, "the audit must have assumed the role"
    lines = (done.stdout + done.stderr).splitlines()
    # The debug log does narrate the AWS calls, AssumeRole among them.
    assert any("sts:AssumeRole in us-east-1, attempt 1: HTTP 200" in line for line in lines)
    assert sum("DEBUG gdpr_operator.aws" in line for line in lines) > 10
    for secret_key, token in sessions:
        assert not [line for line in lines if secret_key in line], "a secret access key was logged"
        assert not [line for line in lines if token in line], "a session token was logged"
    assert not [line for line in lines if external_id in line], "the ExternalId was logged"
