"""cloudfront.waf_attached, per distribution: does a WAF web ACL filter its requests?

Read once per account (distributions are global): ListDistributions, whose summaries name
each distribution's web ACL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._web_acls import Distribution, web_acl_name

CHECK = CheckInfo(
    id="cloudfront.waf_attached",
    summary="Each CloudFront distribution of the account has a WAF web ACL filtering its HTTP "
    "requests.",
    articles=("25", "32(1)(b)"),
    scope=Scope.AUDIT,  # one result per distribution
    iam_actions=frozenset({"cloudfront:ListDistributions"}),
)

NO_WEB_ACL = "no WAF web ACL filters its requests"


def distribution_verdicts(distributions: Iterable[Distribution]) -> list[Verdict]:
    """One verdict per distribution; the resource is its id."""
    return [
        Verdict(d.id, None, f"web ACL {web_acl_name(d.web_acl)}")
        if d.web_acl
        else Verdict(d.id, NO_WEB_ACL)
        for d in sorted(distributions, key=lambda d: d.id)
    ]


class CloudFrontWaf(AuditComponent[list[Distribution]]):
    component = "CloudFrontWaf"
    check = CHECK
    global_scope = True

    async def observe(self, context: Context, target: Target) -> list[Distribution]:
        return await _observe.distributions(context.aws, target)

    def verdicts(self, observed: list[Distribution], spec: MonitoringSpec) -> Sequence[Verdict]:
        return distribution_verdicts(observed)
