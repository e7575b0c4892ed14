"""The events hub's health (`gdpr-operator run --events-hub`), as the condition `EventsHub`
on the hub's AwsAccount: what the consumer's last upkeep of the hub (`engine.keep_hub`) or
its last receive from the hub queue found. Pure.

- True `HubInPlace`: the bus, its policy, the rule, its target and the queue are as
  declared; True `HubRepaired`: they were not, and the upkeep repaired them (the message
  says what it found).
- False `HubNotAsDeclared`: something differs and was not repaired (not the operator's, or
  the repair failed): the message names it (bus, policy, rule, queue, target) and why.
- False `HubUnavailable`: the upkeep could not look (the AwsAccount unknown or not
  Managed, its credentials, an AWS error); False `ReceiveFailed`: the hub queue could not
  be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gdpr_operator.engine import HubUpkeep
from gdpr_operator.model import Action
from gdpr_operator.report._conditions import Condition, Event, merge_conditions
from gdpr_operator.report._status import transition_event

EVENTS_HUB = "EventsHub"


def hub_condition(upkeep: HubUpkeep) -> Condition:
    """What one upkeep of the hub found."""
    if upkeep.error:
        return Condition(EVENTS_HUB, "False", "HubUnavailable", upkeep.error)
    failing = [result.reason for result in upkeep.results if not result.passing]
    if failing:
        return Condition(EVENTS_HUB, "False", "HubNotAsDeclared", "; ".join(failing))
    repaired = [r.reason for r in upkeep.results if r.action is Action.REMEDIATED]
    if repaired:
        return Condition(EVENTS_HUB, "True", "HubRepaired", f"Repaired: {'; '.join(repaired)}")
    return Condition(
        EVENTS_HUB,
        "True",
        "HubInPlace",
        "The events hub's bus, its policy, the rule, its target and the queue are as declared",
    )


def receive_failed_condition(error: str) -> Condition:
    return Condition(
        EVENTS_HUB, "False", "ReceiveFailed", f"The events hub's queue could not be read: {error}"
    )


def same_condition(written: Mapping[str, Any] | None, condition: Condition) -> bool:
    """Whether `written` (as status holds it) already says what `condition` says."""
    return written is not None and (
        written.get("status"),
        written.get("reason"),
        written.get("message"),
    ) == (condition.status, condition.reason, condition.message)


def hub_condition_update(
    written: Mapping[str, Any] | None, condition: Condition, generation: int, now: str
) -> tuple[dict[str, Any], Event | None]:
    """The `EventsHub` entry of status.conditions after `written` (None: none yet), and
    the Event to post when its status or reason changed."""
    (merged,), transitions = merge_conditions(
        [written] if written else [], [condition], generation, now
    )
    return merged, (transition_event(transitions[0]) if transitions else None)
