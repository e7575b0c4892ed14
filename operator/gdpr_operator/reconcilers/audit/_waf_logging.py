"""waf.logging, per web ACL in front of a distribution: does it log its traffic, and where?

Logging is read for AWS WAF web ACLs only: a Classic one is reported as not checked, never
as logging. Read once per account: the distributions, then each AWS WAF web ACL's logging
configuration where CLOUDFRONT-scope web ACLs live (WAFNonexistentItemException: it has
none).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gdpr_operator.aws import PermanentAwsError, Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict
from gdpr_operator.reconcilers.audit._web_acls import Distribution, is_waf_v2

CHECK = CheckInfo(
    id="waf.logging",
    summary="Each WAF web ACL protecting a CloudFront distribution logs its traffic, the "
    "destination named.",
    articles=("5(2)", "32(1)(d)", "33"),
    scope=Scope.AUDIT,  # one result per web ACL
    iam_actions=frozenset({"cloudfront:ListDistributions", "wafv2:GetLoggingConfiguration"}),
)


def protecting_web_acls(distributions: Iterable[Distribution]) -> dict[str, list[str]]:
    """Each web ACL in front of a distribution -> the distributions it protects."""
    protected: defaultdict[str, list[str]] = defaultdict(list)
    for distribution in distributions:
        if distribution.web_acl:
            protected[distribution.web_acl].append(distribution.id)
    return {web_acl: sorted(ids) for web_acl, ids in sorted(protected.items())}


def logging_verdict(
    web_acl: str, distributions: Sequence[str], destinations: Sequence[str] | None
) -> Verdict:
    """`destinations`: where the web ACL's logging configuration sends its logs (None or
    empty: it has none). The resource is the web ACL's ARN (or Classic id)."""
    protects = f"protects {', '.join(distributions)}"
    if not is_waf_v2(web_acl):
        return Verdict(
            web_acl, f"an AWS WAF Classic web ACL ({protects}): its logging is not checked"
        )
    if not destinations:
        return Verdict(web_acl, f"logging is off ({protects})")
    return Verdict(web_acl, None, f"logs to {', '.join(destinations)}")


@dataclass(frozen=True, slots=True)
class WebAclLogging:
    """A web ACL in front of distributions, and where it logs (None: not read, or none)."""

    web_acl: str
    distributions: Sequence[str]
    destinations: Sequence[str] | None


class WafLogging(AuditComponent[list[WebAclLogging]]):
    component = "WafLogging"
    check = CHECK
    global_scope = True

    async def observe(self, context: Context, target: Target) -> list[WebAclLogging]:
        protected = protecting_web_acls(await _observe.distributions(context.aws, target))
        edge = Target(target.access, _observe.EDGE_REGION)

        async def logging(web_acl: str, distributions: list[str]) -> WebAclLogging:
            if not is_waf_v2(web_acl):
                return WebAclLogging(web_acl, distributions, None)
            try:
                reply = await context.aws.call(
                    edge, "wafv2", "get_logging_configuration", ResourceArn=web_acl
                )
            except PermanentAwsError as error:
                if error.code != "WAFNonexistentItemException":
                    raise
                return WebAclLogging(web_acl, distributions, None)
            configuration = reply.get("LoggingConfiguration", {})
            return WebAclLogging(web_acl, distributions, configuration.get("LogDestinationConfigs"))

        return list(await asyncio.gather(*(logging(acl, ids) for acl, ids in protected.items())))

    def verdicts(self, observed: list[WebAclLogging], spec: MonitoringSpec) -> Sequence[Verdict]:
        return [
            logging_verdict(item.web_acl, item.distributions, item.destinations)
            for item in observed
        ]
