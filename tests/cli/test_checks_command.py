"""`gdpr-operator checks`: the catalog every reconciler declares, listed as it stands (a check
added to a reconciler is listed with no change to the command)."""

from __future__ import annotations

import json

import pytest

from gdpr_operator.cli import main
from gdpr_operator.reconcilers import RECONCILERS

CATALOG = [
    (reconciler.component, check) for reconciler in RECONCILERS for check in reconciler.checks
]


def _checks(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["checks", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_json_lists_every_check_of_every_reconciler(capsys: pytest.CaptureFixture[str]) -> None:
    listed = json.loads(_checks(capsys, "--format", "json"))["checks"]
    assert [entry["id"] for entry in listed] == [check.id for _, check in CATALOG]
    for entry, (component, check) in zip(listed, CATALOG, strict=True):
        assert entry == {
            "id": check.id,
            "component": component,
            "summary": check.summary,
            "articles": [f"Art. {article}" for article in check.articles],
            "scope": check.scope.value,
            "iamActions": sorted(check.iam_actions),
        }
    detector = next(entry for entry in listed if entry["id"] == "guardduty.detector_enabled")
    assert detector["component"] == "GuardDuty"
    assert detector["scope"] == "account-region"
    assert "Art. 33" in detector["articles"]
    assert "guardduty:CreateDetector" in detector["iamActions"]


def test_table_has_a_row_per_check_under_its_header(capsys: pytest.CaptureFixture[str]) -> None:
    header, *rows = _checks(capsys).splitlines()
    assert header.split() == ["CHECK", "COMPONENT", "SCOPE", "GDPR", "IAM", "ACTIONS"]
    assert [row.split()[0] for row in rows] == [check.id for _, check in CATALOG]
    flow_logs = next(row for row in rows if row.startswith("vpc.flow_logs "))
    assert flow_logs.split()[1:3] == ["VpcFlowLogs", "audit"]
    assert "Art. 32(1)(d), Art. 33" in flow_logs
    assert "ec2:DescribeFlowLogs" in flow_logs.split("  ")[-1]
