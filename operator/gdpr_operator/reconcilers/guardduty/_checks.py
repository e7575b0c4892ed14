"""The GuardDuty checks, with the GDPR articles they serve and the IAM actions they call."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import ANY_RESOURCE, Grant
from gdpr_operator.reconcilers._tags import TAGGED_AS_OWN, TAGGED_ON_CREATE

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

DETECTORS = "arn:aws:guardduty:*:*:detector/*"
GRANTS = (
    Grant(
        sid="CreateOwnDetectors",
        actions=frozenset({"guardduty:CreateDetector"}),
        resources=ANY_RESOURCE,  # CreateDetector has no resource type
        condition=TAGGED_ON_CREATE,
        why="a detector where a region has none, created with the operator's tags",
    ),
    Grant(
        sid="TagOwnDetectors",
        actions=frozenset({"guardduty:TagResource"}),
        resources=(DETECTORS,),
        condition=TAGGED_ON_CREATE,
        why="the tags CreateDetector puts on the new detector",
    ),
    Grant(
        sid="ConfigureDetectors",
        actions=frozenset({"guardduty:UpdateDetector"}),
        resources=(DETECTORS,),
        why="enable and configure detectors: its own, and those an AwsAccount lets it adopt "
        "(adoptGuardDutyDetectors, decided in the operator, which AWS cannot see: a detector "
        "it did not create carries no tag of its own)",
    ),
    Grant(
        sid="OrganizationAutoEnable",
        actions=frozenset({"guardduty:UpdateOrganizationConfiguration"}),
        resources=ANY_RESOURCE,  # no resource type either
        why="member auto-enable, where the account is the delegated administrator",
    ),
    Grant(
        sid="DeleteOwnDetectors",
        actions=frozenset({"guardduty:DeleteDetector"}),
        resources=(DETECTORS,),
        condition=TAGGED_AS_OWN,
        why="on deletionPolicy Delete, only a detector it created",
    ),
    Grant(
        sid="GuardDutyServiceLinkedRoles",
        actions=frozenset({"iam:CreateServiceLinkedRole"}),
        resources=(
            "arn:aws:iam::*:role/aws-service-role/guardduty.amazonaws.com/*",
            "arn:aws:iam::*:role/aws-service-role/malware-protection.guardduty.amazonaws.com/*",
        ),
        condition={
            "StringEquals": {
                "iam:AWSServiceName": (
                    "guardduty.amazonaws.com",
                    "malware-protection.guardduty.amazonaws.com",
                )
            }
        },
        why="GuardDuty creates its service-linked roles on the caller's behalf",
    ),
)
