"""AWS Config rule compliance, which moto 5.2 does not keep: a store of evaluations, and the
API that reads it.

- DescribeComplianceByConfigRule (ConfigRuleNames, ComplianceTypes, NextToken): one entry
  per rule of moto's region, its ComplianceType derived from the rule's evaluations as AWS
  derives it: NON_COMPLIANT when any resource is (ComplianceContributorCount: how many,
  capped at 100), else COMPLIANT when any resource is, else NOT_APPLICABLE when every
  evaluation is, else (no evaluation) INSUFFICIENT_DATA. A rule named that does not exist
  gets NoSuchConfigRuleException.
- Seeding: `EvaluationStore.put` (reached through POST /_gdpr/config/evaluations, see
  `_app`), standing in for the evaluations a rule's own evaluator (an AWS managed rule, a
  Lambda function's PutEvaluations) would report, which the sandbox does not run. They
  belong to the rule as it exists (by ARN): a rule deleted and created again starts with
  none.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from moto.config.models import config_backends
from moto.config.responses import ConfigResponse

from ._errors import ApiError
from ._paging import page

COMPLIANCE_TYPES = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
_CAP = 100


class EvaluationStore:
    """Each rule's latest evaluation per resource: rule ARN -> (type, id) -> compliance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_rule: dict[str, dict[tuple[str, str], str]] = {}

    def put(
        self, account: str, region: str, rule: str, evaluations: Sequence[Mapping[str, str]]
    ) -> str:
        """Record evaluations for the named rule (it must exist); returns its ARN."""
        found = config_backends[account][region].config_rules.get(rule)
        if found is None:
            raise ValueError(f"no Config rule {rule!r} in {account}/{region}")
        results = {}
        for evaluation in evaluations:
            compliance = str(evaluation["complianceType"])
            if compliance not in COMPLIANCE_TYPES:
                raise ValueError(f"complianceType must be one of {COMPLIANCE_TYPES}")
            results[(str(evaluation["resourceType"]), str(evaluation["resourceId"]))] = compliance
        with self._lock:
            self._by_rule.setdefault(found.config_rule_arn, {}).update(results)
        return str(found.config_rule_arn)

    def compliance(self, rule_arn: str) -> dict[str, Any]:
        """The rule's Compliance, as DescribeComplianceByConfigRule gives it."""
        with self._lock:
            kinds = list(self._by_rule.get(rule_arn, {}).values())
        failing = kinds.count("NON_COMPLIANT")
        if failing:
            return {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {
                    "CappedCount": min(failing, _CAP),
                    "CapExceeded": failing > _CAP,
                },
            }
        for kind in ("COMPLIANT", "NOT_APPLICABLE"):
            if kind in kinds:
                return {"ComplianceType": kind}
        return {"ComplianceType": "INSUFFICIENT_DATA"}

    def reset(self) -> None:
        with self._lock:
            self._by_rule.clear()


EVALUATIONS = EvaluationStore()


class ConfigExtensions(ConfigResponse):
    """The operations listed in the module docstring, on top of moto's AWS Config."""

    OPERATIONS = frozenset({"DescribeComplianceByConfigRule"})

    def describe_compliance_by_config_rule(self) -> str:
        params = json.loads(self.body or "{}")
        rules = config_backends[self.current_account][self.region].config_rules
        names = params.get("ConfigRuleNames") or sorted(rules)
        missing = [name for name in names if name not in rules]
        if missing:
            raise ApiError(
                "NoSuchConfigRuleException",
                f"The ConfigRule '{missing[0]}' provided in the request is invalid. Please "
                "check the configRule name",
            )
        wanted = set(params.get("ComplianceTypes") or [])
        entries = [
            {
                "ConfigRuleName": name,
                "Compliance": EVALUATIONS.compliance(rules[name].config_rule_arn),
            }
            for name in names
        ]
        entries = [e for e in entries if not wanted or e["Compliance"]["ComplianceType"] in wanted]
        items, token = page(entries, None, params.get("NextToken"), default=25)
        answer: dict[str, Any] = {"ComplianceByConfigRules": items}
        if token:
            answer["NextToken"] = token
        return json.dumps(answer)
