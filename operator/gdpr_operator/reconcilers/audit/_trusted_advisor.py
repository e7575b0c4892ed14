"""Trusted Advisor, per security check: what did it flag?

Pure. Each check summary has a status: ok (green), warning (yellow), error (red) or
not_available (Trusted Advisor could not evaluate it), and how many resources it flagged.
Only ok passes. An account whose Support plan does not include the AWS Support API
(Basic, Developer) gets SubscriptionRequiredException on every call: reported as one result,
"not available" with that reason, never as compliant and never as an error of the pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gdpr_operator.reconcilers.audit._component import Verdict

SECURITY = "security"
SUBSCRIPTION_REQUIRED = "SubscriptionRequiredException"
NOT_AVAILABLE = (
    "not available: the AWS Support API, which Trusted Advisor answers through, needs a "
    "Business, Enterprise On-Ramp or Enterprise Support plan (SubscriptionRequiredException)"
)
NO_SECURITY_CHECKS = "Trusted Advisor offers no security check to this account"


def check_verdict(name: str, summary: Mapping[str, Any] | None) -> Verdict:
    """`summary`: the check's DescribeTrustedAdvisorCheckSummaries entry, if any."""
    status = (summary or {}).get("status", "not_available")
    if status == "ok":
        return Verdict(name, None)
    if status == "not_available":
        return Verdict(name, "not available: Trusted Advisor could not evaluate this check")
    resources = (summary or {}).get("resourcesSummary", {})
    return Verdict(
        name,
        f"{status}: {resources.get('resourcesFlagged', 0)} of "
        f"{resources.get('resourcesProcessed', 0)} resource(s) flagged",
    )


def security_verdicts(
    checks: Iterable[Mapping[str, Any]], summaries: Mapping[str, Mapping[str, Any]]
) -> list[Verdict]:
    """`checks`: DescribeTrustedAdvisorChecks' security-category checks; `summaries` by check
    id. One verdict per check; the resource is the check's name."""
    verdicts = [
        check_verdict(check["name"], summaries.get(check["id"]))
        for check in sorted(checks, key=lambda check: str(check["name"]))
    ]
    return verdicts or [Verdict("", NO_SECURITY_CHECKS)]
