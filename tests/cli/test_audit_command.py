"""`gdpr-operator audit` and `remediate` against the sandbox, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess
from gdpr_operator.cli import main
from gdpr_operator.sandbox import SandboxControl

REPO = Path(__file__).resolve().parents[2]


def _manifest(
    tmp_path: Path,
    account: AccountAccess,
    namespace: str = "security",
    allowed: str = "security",
    **spec: Any,
) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "AwsAccount",
                    "metadata": {"name": "scratch"},
                    "spec": {
                        "accountId": account.account_id,
                        "allowedNamespaces": [allowed],
                        "assumeRole": {"roleArn": account.role_arn},
                    },
                },
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": "web", "namespace": namespace},
                    "spec": {
                        "accounts": ["scratch"],
                        "regions": ["eu-west-1"],
                        "auditChecks": [],
                        **spec,
                    },
                },
            ]
        )
    )
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_audit_reports_with_articles_and_writes_nothing_then_remediate_converges(
    sandbox_env: str,
    sandbox: SandboxControl,
    scratch_account: AccountAccess,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Enforce in the file: audit must still be observe-only.
    estate = _manifest(tmp_path, scratch_account, managementPolicy="Enforce")
    code, out, _ = _run(capsys, "audit", "-f", str(estate), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["summary"]["nonCompliant"] == 3
    one_a_line = [
        json.loads(line.rstrip(",")) for line in out.splitlines() if line.startswith('{"check"')
    ]
    assert one_a_line == report["checks"]
    detector = next(c for c in report["checks"] if c["check"] == "guardduty.detector_enabled")
    assert detector["action"] == "would_remediate"
    assert detector["monitoring"] == "security/web"
    assert "Art. 33" in detector["articles"]
    assert not [
        c
        for c in sandbox.calls()
        if c["account"] == scratch_account.account_id
        and c["operation"].startswith(("Create", "Update"))
    ]

    code, out, _ = _run(capsys, "remediate", "-f", str(estate))
    assert code == 0
    assert "3 remediated" in out
    code, out, _ = _run(capsys, "audit", "-f", str(estate))
    assert code == 0
    assert "3 compliant, 0 not compliant" in out


def test_an_unbound_namespace_is_refused_with_exit_2(
    sandbox_env: str,
    scratch_account: AccountAccess,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    estate = _manifest(tmp_path, scratch_account, namespace="intruder")
    code, out, _ = _run(capsys, "audit", "-f", str(estate))
    assert code == 2
    assert "refused: intruder/web: AwsAccount 'scratch' not bound to namespace 'intruder'" in out


def test_the_external_id_comes_from_a_secret_in_the_file(
    sandbox_env: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    examples = [
        str(REPO / "examples" / "awsaccounts.yaml"),
        str(REPO / "examples" / "gdprmonitoring-observe.yaml"),
    ]
    code, out, _ = _run(capsys, "audit", "-f", examples[0], "-f", examples[1], "--format", "json")
    assert code in (0, 1), out
    assert json.loads(out)["summary"]["errors"] == 0

    wrong = tmp_path / "wrong-secret.yaml"
    wrong.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "prod-external-id"},
                "stringData": {"externalId": "not-the-right-one"},
            }
        )
    )
    code, out, _ = _run(
        capsys, "audit", "-f", examples[0], "-f", examples[1], "-f", str(wrong), "--format", "json"
    )
    assert code == 2
    assert {e["reason"] for e in json.loads(out)["errors"]} == {"AccessDenied"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "kind: GdprMonitoring\napiVersion: monitoring.gdpr.io/v1alpha1\nmetadata: {name: x}\n"
            "spec: {accounts: [prod], regions: [eu-west-1], logs: {retentionDays: 2}}\n",
            "document 1 (GdprMonitoring x): spec.logs.retentionDays: 2 is not one of",
        ),
        (
            "kind: GdprMonitoring\napiVersion: monitoring.gdpr.io/v1alpha1\nmetadata: {name: x}\n"
            "spec: {regions: [eu-west-1]}\n",
            "document 1 (GdprMonitoring x): spec.accounts: required",
        ),
        (
            "---\nkind: AwsAccount\napiVersion: monitoring.gdpr.io/v1alpha1\nmetadata: {name: a}\n"
            "spec: {accountId: '1234', allowedNamespaces: []}\n",
            "document 1 (AwsAccount a): spec.accountId: '1234' does not match",
        ),
        (
            "kind: GdprMonitoring\napiVersion: monitoring.gdpr.io/v1alpha1\nmetadata: {}\n"
            "spec: {accounts: [prod], regions: [eu-west-1]}\n",
            "document 1 (GdprMonitoring): metadata.name: required",
        ),
        ("key: [unclosed\n", "while parsing"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "no GdprMonitoring"),
    ],
)
def test_malformed_input_names_file_document_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: str,
    message: str,
) -> None:
    path = tmp_path / "input.yaml"
    path.write_text(document)
    code, out, err = _run(capsys, "audit", "-f", str(path))
    assert code == 2
    assert out == ""
    assert str(path) in err
    assert message in err


def test_without_aws_credentials_the_reason_is_credentials_unavailable(
    sandbox_env: str,
    scratch_account: AccountAccess,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Neither the operator's own identity nor an AssumeRole from it can sign anything."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    estate = _manifest(tmp_path, scratch_account)
    account, monitoring = yaml.safe_load_all(estate.read_text())
    del account["spec"]["assumeRole"]
    account["metadata"]["name"] = monitoring["spec"]["accounts"][0] = "own"
    monitoring["metadata"]["name"] = "own-web"
    own_identity = tmp_path / "own-identity.yaml"
    own_identity.write_text(yaml.safe_dump_all([account, monitoring]))

    code, out, _ = _run(
        capsys, "audit", "-f", str(estate), "-f", str(own_identity), "--format", "json"
    )
    assert code == 2
    errors = json.loads(out)["errors"]
    assert {(e["account"], e["reason"]) for e in errors} == {
        ("scratch", "CredentialsUnavailable"),
        ("own", "CredentialsUnavailable"),
    }
    assert all("no AWS credentials found" in e["message"] for e in errors)


def test_the_readme_directory_example_runs_as_written(
    sandbox_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = "gdpr-operator audit -f examples/"
    assert f"$ {command}\n" in (REPO / "README.md").read_text()
    monkeypatch.chdir(REPO)
    code, out, _ = _run(capsys, *command.split()[1:], "--format", "json")
    assert code == 1, out  # the demo estate is not compliant
    report = json.loads(out)
    assert report["summary"]["errors"] == 0
    assert {c["monitoring"] for c in report["checks"]} == {"security/web", "security/audit-only"}
