from __future__ import annotations

from prometheus_client import REGISTRY

from gdpr_operator.engine import Outcome
from gdpr_operator.model import Action, CheckResult, LogIngestion
from gdpr_operator.report import metrics


def _value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def _pass(outcome: Outcome, monitoring: str = "m-metrics") -> None:
    metrics.record_outcome(
        "ns", monitoring, outcome, ready=True, duration_seconds=0.5, finished_at=1000.0
    )


def _detector(compliant: bool, action: Action = Action.NONE) -> CheckResult:
    return CheckResult(
        "guardduty.detector_enabled", "prod", "eu-west-1", "d-1", compliant, "why", action
    )


def test_compliance_gauges_follow_the_latest_pass() -> None:
    labels = {
        "namespace": "ns",
        "monitoring": "m-metrics",
        "account": "prod",
        "region": "eu-west-1",
        "check": "guardduty.detector_enabled",
    }
    _pass(Outcome(results=(_detector(False, Action.WOULD_REMEDIATE),)))
    assert _value("gdpr_check_compliant", **labels) == 0
    assert _value("gdpr_check_resources", **labels, state="non_compliant") == 1
    _pass(Outcome(results=(_detector(True),)))
    assert _value("gdpr_check_compliant", **labels) == 1
    assert _value("gdpr_check_resources", **labels, state="non_compliant") == 0
    assert (
        _value(
            "gdpr_last_successful_reconcile_timestamp_seconds",
            namespace="ns",
            monitoring="m-metrics",
        )
        == 1000.0
    )


def test_drift_is_a_pass_that_turns_into_a_failure() -> None:
    labels = {"namespace": "ns", "monitoring": "m-drift", "check": "guardduty.detector_enabled"}
    _pass(Outcome(results=(_detector(False, Action.REMEDIATED),)), "m-drift")
    assert (_value("gdpr_drift_detected_total", **labels) or 0) == 0  # first sight: not drift
    _pass(Outcome(results=(_detector(True),)), "m-drift")
    _pass(Outcome(results=(_detector(False, Action.REMEDIATED),)), "m-drift")
    assert _value("gdpr_drift_detected_total", **labels) == 1
    assert _value("gdpr_remediations_total", **labels, outcome="success") == 2


def test_reconcile_results_are_counted_from_zero() -> None:
    for result in ("success", "error", "refused"):
        assert _value("gdpr_reconcile_total", result=result) is not None


def test_forget_drops_every_series_of_a_monitoring() -> None:
    _pass(Outcome(results=(_detector(True),)), "m-gone")
    metrics.forget("ns", "m-gone")
    assert _value("gdpr_monitoring_ready", namespace="ns", monitoring="m-gone") is None
    assert (
        _value(
            "gdpr_check_compliant",
            namespace="ns",
            monitoring="m-gone",
            account="prod",
            region="eu-west-1",
            check="guardduty.detector_enabled",
        )
        is None
    )


def test_a_check_that_goes_away_loses_its_series_and_counters_start_at_zero() -> None:
    labels = {
        "namespace": "ns",
        "monitoring": "m-gone-check",
        "account": "prod",
        "region": "eu-west-1",
        "check": "guardduty.detector_enabled",
    }
    _pass(Outcome(results=(_detector(True),)), "m-gone-check")
    assert _value("gdpr_check_compliant", **labels) == 1
    assert (
        _value(
            "gdpr_drift_detected_total",
            namespace="ns",
            monitoring="m-gone-check",
            check="guardduty.detector_enabled",
        )
        == 0
    )
    assert (
        _value(
            "gdpr_remediations_total",
            namespace="ns",
            monitoring="m-gone-check",
            check="guardduty.detector_enabled",
            outcome="failed",
        )
        == 0
    )
    _pass(Outcome(), "m-gone-check")
    assert _value("gdpr_check_compliant", **labels) is None


def test_log_ingestion_times_are_exported_when_known() -> None:
    _pass(
        Outcome(
            ingestion=(
                LogIngestion("prod", "eu-west-1", "/gdpr/linux/syslog", 1234.5),
                LogIngestion("prod", "eu-west-1", "/gdpr/linux/auth", None),
            )
        )
    )
    assert (
        _value(
            "gdpr_log_group_last_ingestion_timestamp_seconds",
            account="prod",
            region="eu-west-1",
            log_group="/gdpr/linux/syslog",
        )
        == 1234.5
    )
    assert (
        _value(
            "gdpr_log_group_last_ingestion_timestamp_seconds",
            account="prod",
            region="eu-west-1",
            log_group="/gdpr/linux/auth",
        )
        is None
    )
