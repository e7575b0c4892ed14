"""CloudFront's ListDistributions as AWS answers it.

- ListDistributions: each DistributionSummary carries the distribution's WebACLId (the AWS
  WAF web ACL's ARN, a WAF Classic id, or "") and Staging (false: the sandbox has no staging
  distributions), as in AWS; moto 5.2 leaves both out of the summaries, although it keeps
  the WebACLId in the distribution's configuration.
"""

from __future__ import annotations

from typing import Any, cast

from moto.cloudfront.models import Distribution
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult


class _Summary:
    """A distribution as ListDistributions summarises it: moto's, plus its WebACLId."""

    def __init__(self, distribution: Distribution) -> None:
        self._distribution = distribution

    def __getattr__(self, name: str) -> Any:
        return getattr(self._distribution, name)

    staging = False

    @property
    def web_acl_id(self) -> str:
        return str(self._distribution.distribution_config.__dict__.get("WebACLId", ""))


class CloudFrontExtensions(CloudFrontResponse):
    """The operations listed in the module docstring, on top of moto's CloudFront."""

    OPERATIONS = frozenset({"ListDistributions"})

    def list_distributions(self) -> ActionResult:
        answer = super().list_distributions()
        listing = cast(dict[str, Any], answer.result)["DistributionList"]
        listing["Items"] = [_Summary(d) for d in listing["Items"] or []] or None
        return answer
