"""The GuardDuty checks, with the GDPR articles they serve and the IAM actions they call."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope

_READ = frozenset({"guardduty:ListDetectors", "guardduty:GetDetector"})
_UPDATE = frozenset({"guardduty:UpdateDetector", "iam:CreateServiceLinkedRole"})

DETECTOR_ENABLED = CheckInfo(
    id="guardduty.detector_enabled",
    summary="A GuardDuty detector exists in the region and is ENABLED.",
    articles=("32(1)(b)", "32(1)(d)", "33"),
    scope=Scope.ACCOUNT_REGION,
    # Creating the first detector creates GuardDuty's service-linked role; the operator
    # tags what it creates (TagResource) and may delete only that (DeleteDetector).
    iam_actions=_READ
    | _UPDATE
    | {"guardduty:CreateDetector", "guardduty:TagResource", "guardduty:DeleteDetector"},
)
PUBLISHING_FREQUENCY = CheckInfo(
    id="guardduty.publishing_frequency",
    summary="The detector publishes updated findings as often as the spec asks.",
    articles=("33",),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=_READ | _UPDATE,
)
FEATURES = CheckInfo(
    id="guardduty.features",
    summary="Every detector feature the spec lists is ENABLED.",
    articles=("32(1)(b)", "32(1)(d)"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=_READ | _UPDATE,
)
ORGANIZATION_AUTO_ENABLE = CheckInfo(
    id="guardduty.organization_auto_enable",
    summary=(
        "Where the account is the GuardDuty delegated administrator, organisation members "
        "are auto-enabled as the spec asks (NEW or ALL); checked only when it asks."
    ),
    articles=("32(1)(b)", "33"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=_READ
    | {"guardduty:DescribeOrganizationConfiguration", "guardduty:UpdateOrganizationConfiguration"},
)
CHECKS = (DETECTOR_ENABLED, PUBLISHING_FREQUENCY, FEATURES, ORGANIZATION_AUTO_ENABLE)

FINDINGS_ACTIONS = frozenset({"guardduty:GetFindingsStatistics"})
"""Not a check: the findings counts exported at each resync."""
