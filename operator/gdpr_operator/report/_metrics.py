"""The operator's Prometheus metrics (names and labels are a contract: see
docs/ARCHITECTURE.md).

Operator-wide metrics are plain prometheus_client metrics. Every series about a
GdprMonitoring comes from `MonitoringCollector`, which renders at each scrape the latest
series of each monitoring (`_series.next_series`): nothing is left behind by a monitoring
that was deleted or stopped covering an account, region, log group or check, and a tenant's
series all carry its `namespace` and `monitoring`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from gdpr_operator.engine import DriftCause, Outcome
from gdpr_operator.model import Action
from gdpr_operator.reconcilers.drift_events import EVENT_COMPONENTS
from gdpr_operator.report._attribution import drifted, seconds_since
from gdpr_operator.report._repairs import LateRepairs
from gdpr_operator.report._series import MonitoringSeries, next_series, reconcile_result

RECONCILE_RESULTS = ("success", "error", "refused")
DRIFT_EVENT_OUTCOMES = ("acted", "own_write", "not_covered")
"""Of an event the operator could read (what it could not is counted as ignored)."""

reconcile_duration = Histogram(
    "gdpr_reconcile_duration_seconds",
    "Wall time of one reconcile of one GdprMonitoring.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
reconcile_total = Counter(
    "gdpr_reconcile_total",
    "Reconciles by result: success, error (some checks not evaluated), refused (tenancy).",
    ["result"],
)
for _result in RECONCILE_RESULTS:
    reconcile_total.labels(_result)

drift_events_received = Counter(
    "gdpr_drift_events_received_total",
    "AWS change events received from the operator's queues, by the component they concern "
    "and outcome: acted (a pass of each GdprMonitoring covering it), own_write (the "
    "operator's own repair), not_covered (no GdprMonitoring bound to the account covers its "
    "region), ignored (nothing the operator manages or checks).",
    ["component", "outcome"],
)
drift_events_drifted = Counter(
    "gdpr_drift_events_drift_detected_total",
    "Passes that an AWS change event led to and that found what it changed drifted, by component.",
    ["component"],
)
drift_event_to_repair = Histogram(
    "gdpr_drift_event_to_repair_seconds",
    "From an AWS change (its eventTime) to the end of the pass that repaired the drift it "
    "caused, by component.",
    ["component"],
    buckets=(1, 2, 5, 10, 15, 30, 60, 120, 300, 900),
)
# Every series born at 0, so that rate() and increase() count the first event after a start
# (a counter first scraped at 1 has not increased, as Prometheus sees it).
for _component in sorted(EVENT_COMPONENTS):
    for _outcome in DRIFT_EVENT_OUTCOMES:
        drift_events_received.labels(_component, _outcome)
    drift_events_drifted.labels(_component)
    drift_event_to_repair.labels(_component)
drift_events_received.labels("", "ignored")
events_hub_healthy = Gauge(
    "gdpr_events_hub_healthy",
    "1 when the events hub (--events-hub; account is its AwsAccount's name) is as declared and "
    "its queue is read, else 0: its EventsHub condition. Exported by the one replica that "
    "polls the hub.",
    ["account", "region"],
)

MONITORING = ("namespace", "monitoring")
"""The labels that name the GdprMonitoring a series belongs to: its tenant."""

_AT = ("account", "region")


class _Families(NamedTuple):
    """The metric families of GdprMonitorings, empty; labels start with MONITORING."""

    check_compliant: GaugeMetricFamily
    check_resources: GaugeMetricFamily
    monitoring_ready: GaugeMetricFamily
    last_success: GaugeMetricFamily
    findings: GaugeMetricFamily
    last_ingestion: GaugeMetricFamily
    drift: CounterMetricFamily
    remediations: CounterMetricFamily


def _families() -> _Families:
    def gauge(name: str, documentation: str, *labels: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=[*MONITORING, *labels])

    def counter(name: str, documentation: str, *labels: str) -> CounterMetricFamily:
        return CounterMetricFamily(name, documentation, labels=[*MONITORING, *labels])

    return _Families(
        check_compliant=gauge(
            "gdpr_check_compliant",
            "1 when every resource of a check is compliant in this account and region, else 0.",
            *_AT,
            "check",
        ),
        check_resources=gauge(
            "gdpr_check_resources",
            "Resources evaluated by a check, by state (compliant, non_compliant).",
            *_AT,
            "check",
            "state",
        ),
        monitoring_ready=gauge(
            "gdpr_monitoring_ready", "1 when the GdprMonitoring's Ready condition is True, else 0."
        ),
        last_success=gauge(
            "gdpr_last_successful_reconcile_timestamp_seconds",
            "Unix time of the last reconcile that evaluated every check.",
        ),
        findings=gauge(
            "gdpr_guardduty_findings",
            "Unarchived GuardDuty findings at the last resync, by severity band.",
            *_AT,
            "severity",
        ),
        last_ingestion=gauge(
            "gdpr_log_group_last_ingestion_timestamp_seconds",
            "Unix time at which CloudWatch Logs last ingested an event into the log group.",
            *_AT,
            "log_group",
        ),
        drift=counter(
            "gdpr_drift_detected_total",
            "Checks that turned non-compliant after having been compliant (drift).",
            "check",
        ),
        remediations=counter(
            "gdpr_remediations_total",
            "Remediation attempts by outcome (success, failed).",
            "check",
            "outcome",
        ),
    )


class MonitoringCollector:
    """The latest series of every GdprMonitoring, rendered at each scrape. Thread-safe: kopf
    records on its event loop while the metrics server's thread collects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], MonitoringSeries] = {}
        self._exported: Callable[[str, str], bool] = lambda namespace, monitoring: True

    def export_only(self, exported: Callable[[str, str], bool]) -> None:
        """Render only the monitorings `exported(namespace, monitoring)` accepts at scrape
        time (sharded mode: the ones this replica owns, so each series has one source)."""
        self._exported = exported

    def record(
        self, namespace: str, monitoring: str, outcome: Outcome, *, ready: bool, finished_at: float
    ) -> None:
        with self._lock:
            previous = self._latest.get((namespace, monitoring), MonitoringSeries())
            self._latest[namespace, monitoring] = next_series(
                previous, outcome, ready=ready, finished_at=finished_at
            )

    def forget(self, namespace: str, monitoring: str) -> None:
        with self._lock:
            self._latest.pop((namespace, monitoring), None)

    def describe(self) -> Iterable[Metric]:
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            latest = sorted(self._latest.items())
        out = _families()
        for (namespace, monitoring), series in latest:
            if not self._exported(namespace, monitoring):
                continue
            owner = [namespace, monitoring]
            out.monitoring_ready.add_metric(owner, 1 if series.ready else 0)
            if series.last_success is not None:
                out.last_success.add_metric(owner, series.last_success)
            for key, tally in sorted(series.checks.items()):
                out.check_compliant.add_metric([*owner, *key], 0 if tally.non_compliant else 1)
                out.check_resources.add_metric([*owner, *key, "compliant"], tally.compliant)
                out.check_resources.add_metric([*owner, *key, "non_compliant"], tally.non_compliant)
            for key, count in sorted(series.findings.items()):
                out.findings.add_metric([*owner, *key], count)
            for key, seconds in sorted(series.ingestion.items()):
                out.last_ingestion.add_metric([*owner, *key], seconds)
            for check, total in sorted(series.drift.items()):
                out.drift.add_metric([*owner, check], total)
            for (check, outcome), total in sorted(series.remediations.items()):
                out.remediations.add_metric([*owner, check, outcome], total)
        yield from out


def register(registry: CollectorRegistry = REGISTRY) -> MonitoringCollector:
    collector = MonitoringCollector()
    registry.register(collector)
    return collector


_monitorings = register()


def record_outcome(
    namespace: str,
    monitoring: str,
    outcome: Outcome,
    *,
    ready: bool,
    duration_seconds: float,
    finished_at: float,
) -> None:
    """Export one reconcile of `namespace/monitoring`."""
    reconcile_total.labels(reconcile_result(outcome)).inc()
    reconcile_duration.observe(duration_seconds)
    _monitorings.record(namespace, monitoring, outcome, ready=ready, finished_at=finished_at)


def forget(namespace: str, monitoring: str) -> None:
    """Drop every series of a GdprMonitoring deleted, or now another replica's."""
    _monitorings.forget(namespace, monitoring)


def record_drift_causes(
    outcome: Outcome,
    causes: Sequence[DriftCause],
    finished_at: float,
    late: LateRepairs | None = None,
) -> None:
    """A pass that AWS change events led to: what it found drifted, and how long from each
    change to its repair (by this pass, or by an earlier one: `late`)."""
    checks = dict(outcome.components)
    for cause in causes:
        found = drifted(outcome, cause, checks.get(cause.component, ()))
        repaired_at: float | None
        if late and cause in late:
            repaired_at = late[cause].finished_at
        elif found:
            repaired_at = finished_at if all(r.action is Action.REMEDIATED for r in found) else None
        else:
            continue
        drift_events_drifted.labels(cause.component).inc()
        elapsed = seconds_since(cause, repaired_at) if repaired_at is not None else None
        if elapsed is not None:
            drift_event_to_repair.labels(cause.component).observe(elapsed)


def export_only(exported: Callable[[str, str], bool]) -> None:
    """See `MonitoringCollector.export_only`."""
    _monitorings.export_only(exported)


def record_hub(account: str, region: str, *, healthy: bool) -> None:
    """The events hub's health, from the replica that polls it."""
    events_hub_healthy.labels(account, region).set(1 if healthy else 0)


def forget_hub() -> None:
    """This replica no longer polls the hub: its health is another's to export."""
    events_hub_healthy.clear()
