"""CloudFront distributions and the WAF web ACLs in front of them, as the checks
cloudfront.waf_attached and waf.logging see them. Pure.

A distribution's WebACLId is an AWS WAF web ACL's ARN, an AWS WAF Classic web ACL's bare id
(Classic has reached its end of support), or empty when no web ACL filters its requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
