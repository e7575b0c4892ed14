"""Metric names used by PromQL expressions, and the metric names the operator exports."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "inf",
        "nan",
        "atan2",
        "start",
        "end",
    }
)
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*([a-zA-Z_:][\w:]*)")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (by bare name; `{__name__=...}` is refused)."""
    assert "__name__" not in expr, f"select metrics by name, not __name__: {expr}"
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("1", text)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


def grafana_query_metric_names(query: str) -> set[str]:
    """Metric names in a Grafana Prometheus variable query (label_values(metric, label))."""
    match = _LABEL_VALUES.match(query)
    if match:
        return {match.group(1)}
    return metric_names(query)


def monitoring_metric_names() -> set[str]:
    """The sample names of the series about one GdprMonitoring (labelled namespace and
    monitoring, from the report's collector)."""
    from gdpr_operator.report import metrics  # noqa: PLC0415

    return {
        f"{family.name}_total" if family.type == "counter" else family.name
        for family in metrics.MonitoringCollector().describe()
    }


def exported_metric_names() -> set[str]:
    """Every sample name the operator's registry can expose: the families defined once
    gdpr_operator.report and gdpr_operator.aws are imported, in all their sample forms."""
    import gdpr_operator.aws  # noqa: PLC0415 - registers the AWS call metrics
    import gdpr_operator.report  # noqa: F401, PLC0415 - registers the reconcile metrics

    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.update({f"{family.name}_total", f"{family.name}_created"})
        elif family.type in ("histogram", "gaugehistogram"):
            names.update(
                f"{family.name}{suffix}"
                for suffix in ("_bucket", "_sum", "_count", "_created", "_gsum", "_gcount")
            )
        elif family.type == "summary":
            names.update(
                {
                    family.name,
                    f"{family.name}_sum",
                    f"{family.name}_count",
                    f"{family.name}_created",
                }
            )
        else:
            names.add(family.name)
    return names
