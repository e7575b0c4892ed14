"""Prometheus metrics of the AWS layer (default registry)."""

from __future__ import annotations

from prometheus_client import Counter

AWS_API_CALLS = Counter(
    "gdpr_aws_api_calls",
    "HTTP attempts made to AWS APIs, retries included.",
    ["service", "operation", "outcome"],
)
"""Outcome is one of SUCCESS, THROTTLED, ERROR."""

SUCCESS = "success"
THROTTLED = "throttled"
ERROR = "error"
