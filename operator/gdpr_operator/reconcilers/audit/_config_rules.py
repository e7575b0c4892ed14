"""AWS Config rules, per rule: what did the rule find?

Pure. DescribeComplianceByConfigRule gives each evaluated rule a ComplianceType: COMPLIANT;
NON_COMPLIANT, with how many resources (capped at 100); NOT_APPLICABLE, when the rule found
no resource in its scope, which is an evaluation and passes; INSUFFICIENT_DATA, or no
answer at all, when the rule has yet to evaluate: no evidence, so not compliant. A region
without rules has nothing checking its configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gdpr_operator.reconcilers.audit._component import COMPLIANT, Verdict

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
