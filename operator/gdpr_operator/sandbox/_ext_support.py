"""The Support API's Trusted Advisor, as an account's Support plan allows it: moto 5.2 lists
checks to everyone and has no check summaries.

- Support plans: each account has one, `basic` until set (a new AWS account's), set through
  POST /_gdpr/support/plan {account, plan} (see `_app`): basic, developer, business,
  enterprise-on-ramp or enterprise. Under basic and developer every Support API call gets
  SubscriptionRequiredException, as in AWS.
- DescribeTrustedAdvisorChecks: moto's check list, whose security category is cut down to
  the checks the sandbox can evaluate from its own state (below); listing the others would
  mean answering them with made-up statuses.
- DescribeTrustedAdvisorCheckSummaries (checkIds) and DescribeTrustedAdvisorCheckResult
  (checkId): for the security checks below, status, resourcesSummary and (in the result)
  the flagged resources, derived from moto's state of the account; not_available for any
  other check id moto lists (the sandbox does not evaluate them);
  InvalidParameterValueException for an id it does not list.
- DescribeServices: the subscription probe Prowler and others make (it answers only with a
  plan that includes the API). The sandbox holds no support cases, so it lists no services.
  - AWS CloudTrail Logging (vjafUGJ9H0): ok when a multi-Region trail is logging, else error;
    the trails are the resources, flagged when not logging (no trail: the account, flagged).
  - Amazon S3 Bucket Permissions (Pfx0RwqBli): buckets whose ACL grants Everyone or any
    authenticated AWS user access are flagged: error when the grant is write or full
    control, warning when read. Bucket policies are not read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudtrail.models import cloudtrail_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import BaseResponse
from moto.s3.models import (
    ALL_USERS_GRANTEE,
    AUTHENTICATED_USERS_GRANTEE,
    PERMISSION_FULL_CONTROL,
    PERMISSION_WRITE,
    s3_backends,
)
from moto.support.models import ADVISOR_CHECKS

PLANS = ("basic", "developer", "business", "enterprise-on-ramp", "enterprise")
_WITH_API = frozenset({"business", "enterprise-on-ramp", "enterprise"})
_SECURITY = "security"


def _error(code: str, message: str) -> TYPE_RESPONSE:
    """An AWS error of the Support API written out here: its errors are not in the service's
    model, so moto's serialiser cannot write them (moto takes the status from "status")."""
    body = json.dumps({"__type": code, "message": message})
    return 400, {"status": 400, "Content-Type": "application/x-amz-json-1.1"}, body


_SUBSCRIPTION_REQUIRED = _error(
    "SubscriptionRequiredException",
    # AWS's wording, which Prowler matches exactly to tell "no plan" from other failures.
    "Amazon Web Services Premium Support Subscription is required to use this service.",
)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A derived check's answer: its status, resources processed and those flagged."""

    status: str
    processed: int
    flagged: tuple[str, ...]


def _cloudtrail_logging(account: str) -> Evaluation:
    trails = [
        trail
        for backend in cloudtrail_backends[account].values()
        for trail in backend.trails.values()
    ]
    idle = tuple(trail.trail_name for trail in trails if not trail.status.is_logging)
    covered = any(trail.is_multi_region and trail.status.is_logging for trail in trails)
    if covered:
        return Evaluation("ok", len(trails), idle)
    # No trail at all: the account itself is what is flagged.
    return Evaluation("error", len(trails) or 1, idle or (account,))


def _bucket_permissions(account: str) -> Evaluation:
    public = (ALL_USERS_GRANTEE, AUTHENTICATED_USERS_GRANTEE)
    buckets = list(s3_backends[account]["aws"].buckets.values())
    worst = "ok"
    flagged: list[str] = []
    for bucket in buckets:
        grants = [
            grant
            for grant in (bucket.acl.grants if bucket.acl else [])
            if any(grantee in grant.grantees for grantee in public)
        ]
        if not grants:
            continue
        flagged.append(bucket.name)
        writes = any(
            p in (PERMISSION_WRITE, PERMISSION_FULL_CONTROL) for g in grants for p in g.permissions
        )
        worst = "error" if writes or worst == "error" else "warning"
    return Evaluation(worst, len(buckets), tuple(flagged))


DERIVED: dict[str, Callable[[str], Evaluation]] = {
    "vjafUGJ9H0": _cloudtrail_logging,
    "Pfx0RwqBli": _bucket_permissions,
}
"""The security checks the sandbox evaluates, by check id."""


class SupportPlans:
    """Each account's Support plan (basic unless set)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, str] = {}

    def set(self, account: str, plan: str) -> None:
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}")
        with self._lock:
            self._plans[account] = plan

    def of(self, account: str) -> str:
        with self._lock:
            return self._plans.get(account, "basic")

    def reset(self) -> None:
        with self._lock:
            self._plans.clear()


SUPPORT_PLANS = SupportPlans()


def _listed() -> list[dict[str, Any]]:
    return [
        check
        for check in ADVISOR_CHECKS["checks"]
        if check["category"] != _SECURITY or check["id"] in DERIVED
    ]


class SupportExtensions(BaseResponse):
    """The operations listed in the module docstring, in place of moto's."""

    OPERATIONS = frozenset(
        {
            "DescribeServices",
            "DescribeTrustedAdvisorChecks",
            "DescribeTrustedAdvisorCheckSummaries",
            "DescribeTrustedAdvisorCheckResult",
        }
    )

    def __init__(self) -> None:
        super().__init__(service_name="support")

    def _subscribed(self) -> bool:
        return SUPPORT_PLANS.of(self.current_account) in _WITH_API

    def describe_trusted_advisor_checks(self) -> TYPE_RESPONSE:
        if not self._subscribed():
            return _SUBSCRIPTION_REQUIRED
        return 200, {}, json.dumps({"checks": _listed()})

    def describe_services(self) -> TYPE_RESPONSE:
        if not self._subscribed():
            return _SUBSCRIPTION_REQUIRED
        return 200, {}, json.dumps({"services": []})

    def describe_trusted_advisor_check_summaries(self) -> TYPE_RESPONSE:
        if not self._subscribed():
            return _SUBSCRIPTION_REQUIRED
        ids: Sequence[str] = self._request().get("checkIds", [])
        unknown = _unknown(ids)
        if unknown:
            return unknown
        summaries = [_summary(c, self._evaluate(c)) for c in ids]
        return 200, {}, json.dumps({"summaries": summaries})

    def describe_trusted_advisor_check_result(self) -> TYPE_RESPONSE:
        if not self._subscribed():
            return _SUBSCRIPTION_REQUIRED
        check_id: str = self._request().get("checkId", "")
        unknown = _unknown([check_id])
        if unknown:
            return unknown
        evaluation = self._evaluate(check_id)
        result = {
            **_summary(check_id, evaluation),
            "flaggedResources": [
                {
                    "status": evaluation.status,
                    "resourceId": resource,
                    "isSuppressed": False,
                    "metadata": [resource],
                }
                for resource in evaluation.flagged
            ],
        }
        return 200, {}, json.dumps({"result": result})

    def _request(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body or "{}")
        return parsed

    def _evaluate(self, check_id: str) -> Evaluation:
        derive = DERIVED.get(check_id)
        return derive(self.current_account) if derive else Evaluation("not_available", 0, ())


def _unknown(check_ids: Sequence[str]) -> TYPE_RESPONSE | None:
    """AWS's refusal of the first check id it does not list, if any."""
    known = {check["id"] for check in ADVISOR_CHECKS["checks"]}
    unknown = [check_id for check_id in check_ids if check_id not in known]
    if unknown:
        return _error("InvalidParameterValueException", f"Invalid check id: {unknown[0]}")
    return None


def _summary(check_id: str, evaluation: Evaluation) -> dict[str, Any]:
    return {
        "checkId": check_id,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": evaluation.status,
        "hasFlaggedResources": bool(evaluation.flagged),
        "resourcesSummary": {
            "resourcesProcessed": evaluation.processed,
            "resourcesFlagged": len(evaluation.flagged),
            "resourcesIgnored": 0,
            "resourcesSuppressed": 0,
        },
        "categorySpecificSummary": {},
    }
