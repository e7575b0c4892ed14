"""CloudFront distributions and the WAF web ACLs in front of them.

Pure. A distribution's WebACLId is an AWS WAF web ACL's ARN, an AWS WAF Classic web ACL's
bare id (Classic has reached its end of support), or empty when no web ACL filters its
requests. Logging is read for AWS WAF web ACLs only: a Classic one is reported as not
checked, never as logging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.reconcilers.audit._component import Verdict

NO_WEB_ACL = "no WAF web ACL filters its requests"


@dataclass(frozen=True, slots=True)
class Distribution:
    id: str
    web_acl: str
    """The WebACLId: an ARN (AWS WAF), an id (WAF Classic), or empty."""

    @classmethod
    def from_api(cls, summary: Mapping[str, Any]) -> Distribution:
        return cls(id=summary["Id"], web_acl=summary.get("WebACLId") or "")


def is_waf_v2(web_acl: str) -> bool:
    return web_acl.startswith("arn:")


def web_acl_name(web_acl: str) -> str:
    """An AWS WAF ARN ends .../webacl/NAME/ID; a Classic id is its own name."""
    parts = web_acl.split("/")
    return parts[-2] if is_waf_v2(web_acl) and len(parts) >= 3 else web_acl


def distribution_verdicts(distributions: Iterable[Distribution]) -> list[Verdict]:
    """One verdict per distribution; the resource is its id."""
    return [
        Verdict(d.id, None, f"web ACL {web_acl_name(d.web_acl)}")
        if d.web_acl
        else Verdict(d.id, NO_WEB_ACL)
        for d in sorted(distributions, key=lambda d: d.id)
    ]


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
