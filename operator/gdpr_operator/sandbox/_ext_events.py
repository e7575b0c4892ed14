"""Extension: a rule's target that is an event bus (of another account, or in another Region),
delivered as AWS delivers it. moto puts such an event on the bus anew, as an event of the
bus's own account and Region (the original's account, region, time and resources lost), and
checks no permission. Here:

- the event reaches the rules of the target bus unchanged: its `account`, `region`, `time`,
  `resources` and `detail` are the original's, as AWS forwards it;
- a target bus in another Region needs the target's RoleArn (AWS requires a role for it);
  with a role, the forward happens only when the role (in the rule's account) trusts
  events.amazonaws.com (its conditions evaluated with `aws:SourceAccount` the rule's account
  and `aws:SourceArn` the rule) and its identity policies allow events:PutEvents on the bus;
- a bus of another account lets the rule's account in only by its resource policy: a
  statement allowing events:PutEvents on the bus whose Principal is that account (its id,
  its root ARN) or `*`, its conditions evaluated with `aws:PrincipalAccount`;
- a forward that is denied (or to a bus that does not exist) is dropped, as AWS drops it
  (counted as a FailedInvocation), and logged.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from moto.events import models as events_models
from moto.events.models import Rule, events_backends
from moto.events.utils import EventMessageType
from moto.iam.models import iam_backends
from moto.utilities.arns import parse_arn

from ._iam_eval import Authorization, Decision, PolicyError, decide

EVENTS_SERVICE = "events.amazonaws.com"
logger = logging.getLogger(__name__)

_moto_send_to_targets = Rule.send_to_targets


def _is_bus(arn: str) -> bool:
    return arn.split(":", 6)[2:3] == ["events"] and ":event-bus/" in arn


def send_to_targets(
    self: Rule, original_event: EventMessageType, transform_input: bool = True
) -> None:
    """moto's delivery for every target but event buses; those as the module says."""
    if not self.event_pattern.matches_event(original_event):
        return
    buses = [target for target in self.targets if _is_bus(target["Arn"])]
    others = [target for target in self.targets if not _is_bus(target["Arn"])]
    if others:
        rest = copy.copy(self)
        rest.targets = others
        _moto_send_to_targets(rest, original_event, transform_input)
    for target in buses:
        forward(self, target, original_event)


def forward(rule: Rule, target: Mapping[str, Any], event: EventMessageType) -> bool:
    """Delivers `event` to the rules of the bus `target` names, unchanged; False (nothing
    delivered) when AWS would not deliver it."""
    arn = str(target["Arn"])
    where = parse_arn(arn)
    denied = _denial(rule, arn, where.account, where.region, target.get("RoleArn"))
    bus = events_backends[where.account][where.region].event_buses.get(where.resource_id)
    if denied is None and bus is None:
        denied = "no such event bus"
    if denied is not None:
        logger.info("rule %s: event not forwarded to %s: %s", rule.arn, arn, denied)
        return False
    assert bus is not None
    if where.account != rule.account_id and not _bus_lets_in(bus, rule.account_id):
        logger.info(
            "rule %s: event not forwarded to %s: its policy does not let account %s in",
            rule.arn,
            arn,
            rule.account_id,
        )
        return False
    for other in list(bus.rules.values()):
        other.send_to_targets(copy.deepcopy(event))
    return True


def _denial(
    rule: Rule, bus_arn: str, account: str, region: str, role_arn: str | None
) -> str | None:
    if role_arn is None:
        if region != rule.region_name:
            return "a bus in another Region needs a RoleArn"
        return None
    iam = iam_backends[rule.account_id]["aws"]
    role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
    if role is None:
        return f"role {role_arn} does not exist in account {rule.account_id}"
    trust = json.loads(role.assume_role_policy_document)
    trusted = _statements_for(trust, lambda principal: _service_is(principal, EVENTS_SERVICE))
    assume = Authorization(
        "sts:AssumeRole",
        role_arn,
        {"aws:SourceAccount": rule.account_id, "aws:SourceArn": rule.arn},
    )
    if _decided(trusted, assume) is not Decision.ALLOW:
        return f"role {role_arn} does not trust {EVENTS_SERVICE}"
    documents = list(role.policies.values()) + [
        next(version.document for version in policy.versions if version.is_default)
        for policy in role.managed_policies.values()
    ]
    # moto's CloudFormation keeps a role's inline policies as documents, its IAM API as text.
    policies = [d if isinstance(d, Mapping) else json.loads(d) for d in documents]
    if _decided(policies, Authorization("events:PutEvents", bus_arn)) is not Decision.ALLOW:
        return f"role {role_arn} may not put events on {bus_arn}"
    return None


def _bus_lets_in(bus: Any, account: str) -> bool:
    policy = json.loads(bus.policy) if bus.policy else {"Statement": []}
    allowed = _statements_for(policy, lambda principal: _account_is(principal, account))
    request = Authorization("events:PutEvents", bus.arn, {"aws:PrincipalAccount": account})
    return _decided(allowed, request) is Decision.ALLOW


def _decided(policies: Iterable[Mapping[str, Any]], request: Authorization) -> Decision:
    try:
        return decide(policies, request)
    except PolicyError:
        return Decision.IMPLICIT_DENY


def _statements_for(policy: Mapping[str, Any], principal_matches: Any) -> list[dict[str, Any]]:
    """`policy` with only the statements whose Principal `principal_matches` (the resource
    policy's Principal, which identity-policy evaluation ignores)."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for statement in statements:
        # A trust policy's statements name no Resource: the role itself is theirs.
        kept_statement = {"Resource": "*"} | {
            k: v for k, v in statement.items() if k != "Principal"
        }
        if principal_matches(statement.get("Principal")):
            kept.append(kept_statement)
    return [{"Statement": kept}]


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _service_is(principal: Any, service: str) -> bool:
    return isinstance(principal, dict) and service in _listed(principal.get("Service", []))


def _account_is(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    names = _listed(principal.get("AWS", []))
    return any(name in ("*", account, f"arn:aws:iam::{account}:root") for name in names)


def install() -> None:
    """moto's rules deliver to event buses as above (idempotent)."""
    events_models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
