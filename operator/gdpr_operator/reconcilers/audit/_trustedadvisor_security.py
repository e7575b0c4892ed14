"""trustedadvisor.security, per Trusted Advisor security check: what did it flag?

Each check summary has a status: ok (green), warning (yellow), error (red) or
not_available (Trusted Advisor could not evaluate it), and how many resources it flagged.
Only ok passes. An account whose Support plan does not include the AWS Support API
(Basic, Developer) gets SubscriptionRequiredException on every call: reported as one result,
"not available" with that reason, never as compliant and never as an error of the pass.

Read once per account, through the Support API: Trusted Advisor's checks, then the
summaries of its security ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._observe import EDGE_REGION

CHECK = CheckInfo(
    id="trustedadvisor.security",
    summary="Trusted Advisor's security checks flag nothing; without the Support plan its API "
    "requires, reported as not available.",
    articles=("24", "32(1)(d)"),
    scope=Scope.AUDIT,  # one result per Trusted Advisor check
    iam_actions=frozenset(
        {"support:DescribeTrustedAdvisorChecks", "support:DescribeTrustedAdvisorCheckSummaries"}
    ),
)

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


@dataclass(frozen=True, slots=True)
class Advice:
    """What the check reads: the security checks and their summaries by check id."""

    checks: Sequence[Mapping[str, Any]]
    summaries: Mapping[str, Mapping[str, Any]]


class TrustedAdvisorSecurity(AuditComponent[Advice | None]):
    component = "TrustedAdvisorSecurity"
    check = CHECK
    global_scope = True

    async def observe(self, context: Context, target: Target) -> Advice | None:
        """None when the account's Support plan does not include the API."""
        support = Target(target.access, EDGE_REGION)
        try:
            listed = await context.aws.call(
                support, "support", "describe_trusted_advisor_checks", language="en"
            )
            checks = [c for c in listed.get("checks", []) if c.get("category") == SECURITY]
            summaries = (
                await context.aws.call(
                    support,
                    "support",
                    "describe_trusted_advisor_check_summaries",
                    checkIds=[check["id"] for check in checks],
                )
                if checks
                else {}
            )
        except PermanentAwsError as error:
            if error.code != SUBSCRIPTION_REQUIRED:
                raise
            return None
        return Advice(checks, {s["checkId"]: s for s in summaries.get("summaries", [])})

    def verdicts(self, observed: Advice | None, spec: MonitoringSpec) -> Sequence[Verdict]:
        if observed is None:
            return [Verdict("", NOT_AVAILABLE)]
        return security_verdicts(observed.checks, observed.summaries)
