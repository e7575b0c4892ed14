"""The operator's Prometheus metrics (names and labels are a contract: see
docs/ARCHITECTURE.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from gdpr_operator.engine import Outcome
from gdpr_operator.model import Action, CheckResult

RECONCILE_RESULTS = ("success", "error", "refused")

check_compliant = Gauge(
    "gdpr_check_compliant",
    "1 when every resource of a check is compliant in this account and region, else 0.",
    ["namespace", "monitoring", "account", "region", "check"],
)
check_resources = Gauge(
    "gdpr_check_resources",
    "Resources evaluated by a check, by state (compliant, non_compliant).",
    ["namespace", "monitoring", "account", "region", "check", "state"],
)
monitoring_ready = Gauge(
    "gdpr_monitoring_ready",
    "1 when the GdprMonitoring's Ready condition is True, else 0.",
    ["namespace", "monitoring"],
)
last_successful_reconcile = Gauge(
    "gdpr_last_successful_reconcile_timestamp_seconds",
    "Unix time of the last reconcile that evaluated every check.",
    ["namespace", "monitoring"],
)
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
drift_detected_total = Counter(
    "gdpr_drift_detected_total",
    "Checks that turned non-compliant after having been compliant (drift).",
    ["namespace", "monitoring", "check"],
)
remediations_total = Counter(
    "gdpr_remediations_total",
    "Remediation attempts by outcome (success, failed).",
    ["namespace", "monitoring", "check", "outcome"],
)

_check_series: dict[tuple[str, str], set[tuple[str, str, str, str, str]]] = {}
"""Per GdprMonitoring, the label sets of its check gauges (to drop those that went away)."""

_passing: dict[tuple[str, str], set[tuple[str, str, str, str]]] = {}
"""Per GdprMonitoring, what passed in its previous reconcile: drift is a pass turned fail."""

guardduty_findings = Gauge(
    "gdpr_guardduty_findings",
    "Unarchived GuardDuty findings at the last resync, by severity band.",
    ["account", "region", "severity"],
)

log_group_last_ingestion = Gauge(
    "gdpr_log_group_last_ingestion_timestamp_seconds",
    "Unix time at which CloudWatch Logs last ingested an event into the log group.",
    ["account", "region", "log_group"],
)

for _result in RECONCILE_RESULTS:
    reconcile_total.labels(_result)


def reconcile_result(outcome: Outcome) -> str:
    if outcome.refusal is not None:
        return "refused"
    return "error" if outcome.errors else "success"


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
    result = reconcile_result(outcome)
    reconcile_total.labels(result).inc()
    reconcile_duration.observe(duration_seconds)
    monitoring_ready.labels(namespace, monitoring).set(1 if ready else 0)
    if result == "success":
        last_successful_reconcile.labels(namespace, monitoring).set(finished_at)
    _count_drift(namespace, monitoring, outcome)
    for finding in outcome.findings:
        guardduty_findings.labels(finding.account, finding.region, finding.severity).set(
            finding.count
        )
    for arrival in outcome.ingestion:
        if arrival.last_event_seconds is not None:
            log_group_last_ingestion.labels(arrival.account, arrival.region, arrival.log_group).set(
                arrival.last_event_seconds
            )
    tallies: dict[tuple[str, str, str], list[int]] = {}
    for check in outcome.results:
        tally = tallies.setdefault((check.account, check.region, check.check), [0, 0])
        tally[0 if check.passing else 1] += 1
        _count_remediation(namespace, monitoring, check)
    series: set[tuple[str, str, str, str, str]] = set()
    for (account, region, check_id), (good, bad) in tallies.items():
        labels = (namespace, monitoring, account, region, check_id)
        check_compliant.labels(*labels).set(0 if bad else 1)
        check_resources.labels(*labels, "compliant").set(good)
        check_resources.labels(*labels, "non_compliant").set(bad)
        series.add(labels)
    # Set first, then drop what went away: a scrape never sees a check vanish and return.
    for gone in _check_series.get((namespace, monitoring), set()) - series:
        check_compliant.remove(*gone)
        for state in ("compliant", "non_compliant"):
            check_resources.remove(*gone, state)
    _check_series[namespace, monitoring] = series


def _count_remediation(namespace: str, monitoring: str, check: CheckResult) -> None:
    # Both outcomes start at 0, so that increase() sees the first remediation of a check.
    counters = {
        outcome: remediations_total.labels(namespace, monitoring, check.check, outcome)
        for outcome in ("success", "failed")
    }
    drift_detected_total.labels(namespace, monitoring, check.check)
    if check.action is Action.REMEDIATED:
        counters["success"].inc()
    elif check.action is Action.FAILED:
        counters["failed"].inc()


def forget(namespace: str, monitoring: str) -> None:
    """Drop every series of a deleted GdprMonitoring."""
    _passing.pop((namespace, monitoring), None)
    _check_series.pop((namespace, monitoring), None)
    for metric in (
        check_compliant,
        check_resources,
        monitoring_ready,
        last_successful_reconcile,
        drift_detected_total,
        remediations_total,
    ):
        metric.remove_by_labels({"namespace": namespace, "monitoring": monitoring})


def _count_drift(namespace: str, monitoring: str, outcome: Outcome) -> None:
    if outcome.refusal is not None:
        return
    previously_passing = _passing.get((namespace, monitoring), set())
    for result in outcome.results:
        if not result.compliant and result.key in previously_passing:
            drift_detected_total.labels(namespace, monitoring, result.check).inc()
    _passing[namespace, monitoring] = {result.key for result in outcome.results if result.passing}
