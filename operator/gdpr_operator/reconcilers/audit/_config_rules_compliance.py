"""config.rules_compliance, per AWS Config rule: what did the rule find?

DescribeComplianceByConfigRule gives each evaluated rule a ComplianceType: COMPLIANT;
NON_COMPLIANT, with how many resources (capped at 100); NOT_APPLICABLE, when the rule found
no resource in its scope, which is an evaluation and passes; INSUFFICIENT_DATA, or no
answer at all, when the rule has yet to evaluate: no evidence, so not compliant. A region
without rules has nothing checking its configuration.

Read, per account and region: the region's rules and their compliance, two paginated reads
(a rule that has never been evaluated is missing from the second).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit import _observe
from gdpr_operator.reconcilers.audit._component import COMPLIANT, AuditComponent, Verdict

CHECK = CheckInfo(
    id="config.rules_compliance",
    summary="Each AWS Config rule of the region finds its resources compliant.",
    articles=("5(2)", "24", "32(1)(d)"),
    scope=Scope.AUDIT,  # one result per rule
    iam_actions=frozenset({"config:DescribeConfigRules", "config:DescribeComplianceByConfigRule"}),
)

NO_RULES = "no AWS Config rule in this region"
_NOT_APPLICABLE = "not applicable: no resource in the rule's scope"


def rule_verdict(rule: str, compliance: Mapping[str, Any] | None) -> Verdict:
    """`compliance`: the rule's Compliance from DescribeComplianceByConfigRule, if any."""
    kind = (compliance or {}).get("ComplianceType", "INSUFFICIENT_DATA")
    if kind == "COMPLIANT":
        return Verdict(rule, None, COMPLIANT)
    if kind == "NOT_APPLICABLE":
        return Verdict(rule, None, _NOT_APPLICABLE)
    if kind == "NON_COMPLIANT":
        count = (compliance or {}).get("ComplianceContributorCount", {})
        capped = "+" if count.get("CapExceeded") else ""
        return Verdict(rule, f"non-compliant: {count.get('CappedCount', '?')}{capped} resource(s)")
    return Verdict(rule, f"not evaluated yet ({kind})")


def rule_verdicts(
    rules: Iterable[str], compliance: Mapping[str, Mapping[str, Any]]
) -> list[Verdict]:
    """One verdict per rule of the region; the resource is the rule's name."""
    names = sorted(rules)
    if not names:
        return [Verdict("", NO_RULES)]
    return [rule_verdict(rule, compliance.get(rule)) for rule in names]


@dataclass(frozen=True, slots=True)
class Rules:
    """What the check reads: the region's rule names, and each evaluated rule's Compliance."""

    names: Sequence[str]
    compliance: Mapping[str, Mapping[str, Any]]


class ConfigRules(AuditComponent[Rules]):
    component = "ConfigRules"
    check = CHECK

    async def observe(self, context: Context, target: Target) -> Rules:
        rules, compliance = await asyncio.gather(
            _observe.every_item(
                context.aws, target, "config", "describe_config_rules", "ConfigRules"
            ),
            _observe.every_item(
                context.aws,
                target,
                "config",
                "describe_compliance_by_config_rule",
                "ComplianceByConfigRules",
            ),
        )
        return Rules(
            [rule["ConfigRuleName"] for rule in rules],
            {item["ConfigRuleName"]: item.get("Compliance", {}) for item in compliance},
        )

    def verdicts(self, observed: Rules, spec: MonitoringSpec) -> Sequence[Verdict]:
        return rule_verdicts(observed.names, observed.compliance)
