from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from gdpr_operator.engine import CheckError, Outcome, Refusal
from gdpr_operator.model import Action, CheckResult, FindingCount, LogIngestion
from gdpr_operator.report import metrics

GUARDDUTY = ("GuardDuty", ("guardduty.detector_enabled",))
LOG_GROUPS = ("LogGroups", ("logs.retention",))


Collected = tuple[metrics.MonitoringCollector, CollectorRegistry]


@pytest.fixture
def collector() -> Collected:
    """A collector of the test's own, in a registry of its own."""
    registry = CollectorRegistry()
    return metrics.register(registry), registry


def _detector(
    compliant: bool, action: Action = Action.NONE, region: str = "eu-west-1"
) -> CheckResult:
    return CheckResult(
        "guardduty.detector_enabled", "prod", region, "d-1", compliant, "why", action
    )


def _retention(region: str = "eu-west-1") -> CheckResult:
    return CheckResult("logs.retention", "prod", region, "/gdpr/syslog", True, "ok")


def _regions(*regions: str, findings: int = 0) -> Outcome:
    """A GuardDuty and LogGroups pass over `regions` of account prod, all compliant."""
    return Outcome(
        results=tuple(
            result
            for region in regions
            for result in (_detector(True, region=region), _retention(region))
        ),
        findings=tuple(FindingCount("prod", region, "high", findings) for region in regions),
        ingestion=tuple(LogIngestion("prod", region, "/gdpr/syslog", 1234.5) for region in regions),
        components=(GUARDDUTY, LOG_GROUPS),
    )


def _series(registry: CollectorRegistry, monitoring: str = "web") -> set[tuple[str, str, str]]:
    """(name, region, check-or-severity) of every sample of namespace ns/`monitoring`."""
    return {
        (
            sample.name,
            sample.labels.get("region", ""),
            sample.labels.get("check") or sample.labels.get("severity", ""),
        )
        for family in registry.collect()
        for sample in family.samples
        if sample.labels.get("namespace") == "ns" and sample.labels.get("monitoring") == monitoring
    }


def _regions_of(registry: CollectorRegistry, name: str) -> set[str]:
    return {region for sample, region, _ in _series(registry) if sample == name}


def _record(collector: metrics.MonitoringCollector, outcome: Outcome, ready: bool = True) -> None:
    collector.record("ns", "web", outcome, ready=ready, finished_at=1000.0)


def test_compliance_gauges_follow_the_latest_pass(collector: Collected) -> None:
    monitorings, registry = collector
    labels = {
        "namespace": "ns",
        "monitoring": "web",
        "account": "prod",
        "region": "eu-west-1",
        "check": "guardduty.detector_enabled",
    }
    _record(
        monitorings,
        Outcome(results=(_detector(False, Action.WOULD_REMEDIATE),), components=(GUARDDUTY,)),
    )
    assert registry.get_sample_value("gdpr_check_compliant", labels) == 0
    assert (
        registry.get_sample_value("gdpr_check_resources", {**labels, "state": "non_compliant"}) == 1
    )
    _record(monitorings, Outcome(results=(_detector(True),), components=(GUARDDUTY,)))
    assert registry.get_sample_value("gdpr_check_compliant", labels) == 1
    assert (
        registry.get_sample_value("gdpr_check_resources", {**labels, "state": "non_compliant"}) == 0
    )
    owner = {"namespace": "ns", "monitoring": "web"}
    assert (
        registry.get_sample_value("gdpr_last_successful_reconcile_timestamp_seconds", owner)
        == 1000.0
    )
    assert registry.get_sample_value("gdpr_monitoring_ready", owner) == 1


def test_drift_is_a_pass_that_turns_into_a_failure(collector: Collected) -> None:
    monitorings, registry = collector
    labels = {"namespace": "ns", "monitoring": "web", "check": "guardduty.detector_enabled"}
    for compliant in (False, True, False):  # the first sight of a failure is not drift
        action = Action.NONE if compliant else Action.REMEDIATED
        _record(
            monitorings, Outcome(results=(_detector(compliant, action),), components=(GUARDDUTY,))
        )
    assert registry.get_sample_value("gdpr_drift_detected_total", labels) == 1
    assert (
        registry.get_sample_value("gdpr_remediations_total", {**labels, "outcome": "success"}) == 2
    )
    assert (
        registry.get_sample_value("gdpr_remediations_total", {**labels, "outcome": "failed"}) == 0
    )


def test_counters_start_at_zero_for_every_covered_check(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1"))
    for check in ("guardduty.detector_enabled", "logs.retention"):
        labels = {"namespace": "ns", "monitoring": "web", "check": check}
        assert registry.get_sample_value("gdpr_drift_detected_total", labels) == 0
        for outcome in ("success", "failed"):
            assert (
                registry.get_sample_value("gdpr_remediations_total", {**labels, "outcome": outcome})
                == 0
            )


def test_findings_and_ingestion_name_the_monitoring(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", findings=3))
    at = {"namespace": "ns", "monitoring": "web", "account": "prod", "region": "eu-west-1"}
    assert registry.get_sample_value("gdpr_guardduty_findings", {**at, "severity": "high"}) == 3
    assert (
        registry.get_sample_value(
            "gdpr_log_group_last_ingestion_timestamp_seconds", {**at, "log_group": "/gdpr/syslog"}
        )
        == 1234.5
    )


def test_a_log_group_without_events_has_no_ingestion_series(collector: Collected) -> None:
    monitorings, registry = collector
    _record(
        monitorings,
        Outcome(
            ingestion=(LogIngestion("prod", "eu-west-1", "/gdpr/auth", None),),
            components=(LOG_GROUPS,),
        ),
    )
    assert "gdpr_log_group_last_ingestion_timestamp_seconds" not in {
        name for name, _, _ in _series(registry)
    }


def test_forget_drops_every_series_of_the_monitoring_and_no_other(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", findings=1))
    monitorings.record(
        "ns", "other", _regions("eu-west-1", findings=1), ready=True, finished_at=1.0
    )
    monitorings.forget("ns", "web")
    assert _series(registry) == set()
    assert ("gdpr_guardduty_findings", "eu-west-1", "high") in _series(registry, "other")


def test_only_the_monitorings_exported_here_are_rendered_at_each_scrape(
    collector: Collected,
) -> None:
    """Sharded mode: a replica renders the series of the objects it owns now, so that the
    ones it lost vanish at the next scrape, before it forgets them."""
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", findings=1))
    monitorings.record(
        "ns", "other", _regions("eu-west-1", findings=1), ready=True, finished_at=1.0
    )
    owned = {"web"}
    monitorings.export_only(lambda namespace, monitoring: monitoring in owned)
    assert _series(registry) != set()
    assert _series(registry, "other") == set()
    owned.clear()
    assert _series(registry) == set()
    owned.add("other")
    assert ("gdpr_guardduty_findings", "eu-west-1", "high") in _series(registry, "other")


def test_a_region_no_longer_covered_loses_every_series(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", "eu-central-1", findings=2))
    _record(monitorings, _regions("eu-west-1", findings=2))
    for name in (
        "gdpr_check_compliant",
        "gdpr_check_resources",
        "gdpr_guardduty_findings",
        "gdpr_log_group_last_ingestion_timestamp_seconds",
    ):
        assert _regions_of(registry, name) == {"eu-west-1"}, name


def test_a_component_turned_off_loses_its_checks_counters_and_findings(
    collector: Collected,
) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", findings=2))
    _record(monitorings, Outcome(results=(_retention(),), components=(LOG_GROUPS,)))
    left = {(name, detail) for name, _, detail in _series(registry)}
    assert not {detail for _, detail in left} & {"guardduty.detector_enabled", "high"}
    assert ("gdpr_drift_detected_total", "logs.retention") in left


def test_a_region_that_could_not_be_evaluated_keeps_its_last_evidence(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", "eu-central-1", findings=2))
    failed = Outcome(
        results=(_detector(True), _retention()),
        findings=(FindingCount("prod", "eu-west-1", "high", 2),),
        errors=(CheckError("prod", "eu-central-1", "GuardDuty", "Throttled", "slow down"),),
        components=(GUARDDUTY, LOG_GROUPS),
    )
    _record(monitorings, failed, ready=False)
    assert _regions_of(registry, "gdpr_guardduty_findings") == {"eu-west-1", "eu-central-1"}
    assert ("gdpr_check_compliant", "eu-central-1", "guardduty.detector_enabled") in _series(
        registry
    )
    # Only GuardDuty failed there: the log groups' absence from the pass is real.
    assert ("gdpr_check_compliant", "eu-central-1", "logs.retention") not in _series(registry)
    owner = {"namespace": "ns", "monitoring": "web"}
    assert registry.get_sample_value("gdpr_monitoring_ready", owner) == 0


def test_drift_is_still_seen_after_a_pass_that_could_not_look(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, Outcome(results=(_detector(True),), components=(GUARDDUTY,)))
    throttled = CheckError("prod", "eu-west-1", "GuardDuty", "Throttled", "slow down")
    _record(monitorings, Outcome(errors=(throttled,), components=(GUARDDUTY,)))
    _record(monitorings, Outcome(results=(_detector(False),), components=(GUARDDUTY,)))
    labels = {"namespace": "ns", "monitoring": "web", "check": "guardduty.detector_enabled"}
    assert registry.get_sample_value("gdpr_drift_detected_total", labels) == 1


def test_an_account_whose_credentials_failed_keeps_its_last_evidence(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, _regions("eu-west-1", findings=1))
    before = _series(registry)
    denied = CheckError("prod", "global", "Credentials", "AccessDenied", "sts:AssumeRole")
    _record(monitorings, Outcome(errors=(denied,), components=(GUARDDUTY, LOG_GROUPS)), ready=False)
    assert _series(registry) == before


def test_a_refused_pass_keeps_the_last_evidence_and_is_not_ready(collector: Collected) -> None:
    monitorings, registry = collector
    _record(monitorings, Outcome(results=(_detector(False),), components=(GUARDDUTY,)), ready=False)
    monitorings.record(
        "ns",
        "web",
        Outcome(refusal=Refusal("AccountNotBound", "not bound")),
        ready=False,
        finished_at=2000.0,
    )
    at = {"namespace": "ns", "monitoring": "web", "account": "prod", "region": "eu-west-1"}
    assert (
        registry.get_sample_value(
            "gdpr_check_compliant", {**at, "check": "guardduty.detector_enabled"}
        )
        == 0
    )
    owner = {"namespace": "ns", "monitoring": "web"}
    assert (
        registry.get_sample_value("gdpr_last_successful_reconcile_timestamp_seconds", owner)
        == 1000.0
    )
    assert registry.get_sample_value("gdpr_monitoring_ready", owner) == 0


def test_the_exposition_names_every_family_before_any_pass() -> None:
    registry = CollectorRegistry()
    metrics.register(registry)
    text = generate_latest(registry).decode()
    for name in (
        "gdpr_check_compliant",
        "gdpr_check_resources",
        "gdpr_monitoring_ready",
        "gdpr_last_successful_reconcile_timestamp_seconds",
        "gdpr_guardduty_findings",
        "gdpr_log_group_last_ingestion_timestamp_seconds",
        "gdpr_drift_detected_total",
        "gdpr_remediations_total",
    ):
        assert f"# HELP {name} " in text, name


def test_record_outcome_and_forget_drive_the_operator_registry() -> None:
    owner = {"namespace": "ns-entry", "monitoring": "m"}
    before = REGISTRY.get_sample_value("gdpr_reconcile_total", {"result": "error"}) or 0
    throttled = CheckError("prod", "eu-west-1", "GuardDuty", "Throttled", "slow down")
    metrics.record_outcome(
        "ns-entry",
        "m",
        Outcome(errors=(throttled,)),
        ready=False,
        duration_seconds=0.5,
        finished_at=1.0,
    )
    assert REGISTRY.get_sample_value("gdpr_reconcile_total", {"result": "error"}) == before + 1
    assert REGISTRY.get_sample_value("gdpr_monitoring_ready", owner) == 0
    metrics.forget("ns-entry", "m")
    assert REGISTRY.get_sample_value("gdpr_monitoring_ready", owner) is None


def test_reconcile_results_are_counted_from_zero() -> None:
    for result in ("success", "error", "refused"):
        assert REGISTRY.get_sample_value("gdpr_reconcile_total", {"result": result}) is not None


def test_drift_event_series_are_counted_from_zero_for_every_component() -> None:
    # A series first scraped at 1 has not increased as rate() sees it: the first event after
    # a start would not show on the dashboard.
    for component in ("GuardDuty", "InstanceProfiles", "AgentRole", "LogGroups", "CloudTrail"):
        for outcome in ("acted", "own_write", "not_covered"):
            labels = {"component": component, "outcome": outcome}
            assert REGISTRY.get_sample_value("gdpr_drift_events_received_total", labels) is not None
        by_component = {"component": component}
        assert (
            REGISTRY.get_sample_value("gdpr_drift_events_drift_detected_total", by_component)
            is not None
        )
        assert (
            REGISTRY.get_sample_value("gdpr_drift_event_to_repair_seconds_count", by_component)
            is not None
        )
    ignored = {"component": "", "outcome": "ignored"}
    assert REGISTRY.get_sample_value("gdpr_drift_events_received_total", ignored) is not None
