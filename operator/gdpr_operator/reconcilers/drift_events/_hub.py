"""The events hub (`gdpr-operator run --events-hub ACCOUNT/REGION`): one account-region where
the change events of every member account-region end up, in one queue the operator polls.
Its documents and deltas. Pure.

In the hub account-region the operator owns the custom bus BUS_NAME, whose resource policy
lets exactly the member accounts put events, a rule on that bus matching the forwarded
events, the one queue (QUEUE_NAME), whose policy lets only that rule send, and the rule's
target. In every member account-region (the hub's own other regions too) the rule on the
default bus targets the hub bus through the forwarder role the operator owns in the member
account (AWS requires a role for a bus in another Region). EventBridge forwards an event
unchanged: its `account` and `region` stay the member's.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gdpr_operator.aws import Target, tag_list
from gdpr_operator.reconcilers._delta import Call, Delta
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._service_roles import (
    DeclaredRole,
    ServiceRole,
    role_calls,
    service_role_arn,
    service_trust,
)
from gdpr_operator.reconcilers._tags import IAM_PATH, managed_by_operator
from gdpr_operator.reconcilers.drift_events._checks import DELIVERY, HUB
from gdpr_operator.reconcilers.drift_events._diff import (
    RULE_DESCRIPTION,
    TARGET_ID,
    Plumbing,
    policy_document,
    queue_calls,
    queue_policy,
    rule_calls,
    rule_problems,
    target_calls,
)
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    EVENTS_SERVICE,
    FORWARDER_ROLE_NAME,
    QUEUE_NAME,
    RULE_NAME,
)

FORWARD_POLICY_NAME = "forward-to-events-hub"
HUB_RULE_DESCRIPTION = "gdpr-operator: drift events forwarded from member accounts, for its queue"


@dataclass(frozen=True, slots=True)
class Hub:
    """Where the events of every member account-region go: an account (by id) and region."""

    account_id: str
    region: str

    @property
    def bus_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{BUS_NAME}"

    @property
    def rule_arn(self) -> str:
        """The rule on the hub bus (a rule on a custom bus has the bus in its ARN)."""
        return f"arn:aws:events:{self.region}:{self.account_id}:rule/{BUS_NAME}/{RULE_NAME}"

    @property
    def queue_arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{QUEUE_NAME}"

    def is_at(self, target: Target) -> bool:
        return (target.account_id, target.region) == (self.account_id, self.region)


def bus_policy(hub: Hub, members: Collection[str]) -> dict[str, Any]:
    """The hub bus's resource policy: the member accounts (by id, the hub's own among them,
    so the list is never empty) may put events on it; nobody else."""
    accounts = sorted({*members, hub.account_id})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "MemberAccountsForwardDriftEvents",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{account}:root" for account in accounts]},
                "Action": "events:PutEvents",
                "Resource": hub.bus_arn,
            }
        ],
    }


def hub_queue_policy(hub: Hub) -> dict[str, Any]:
    """Only the rule on the hub bus may send to the hub queue."""
    return policy_document(hub.queue_arn, hub.rule_arn)


@dataclass(frozen=True, slots=True)
class HubPlumbing:
    """What the hub account-region holds under the operator's names: the bus, and the rule
    on it with its target and the queue."""

    bus_arn: str | None = None
    bus_policy: dict[str, Any] | None = None
    bus_tags: dict[str, str] = field(default_factory=dict)
    plumbing: Plumbing = field(default_factory=Plumbing)


def hub_not_owned(found: HubPlumbing) -> str | None:
    if found.bus_arn is not None and not managed_by_operator(found.bus_tags):
        return f"event bus {BUS_NAME} exists and is not the operator's (no gdpr-operator tag)"
    plumbing = found.plumbing
    if plumbing.queue_url is not None and not managed_by_operator(plumbing.queue_tags):
        return f"queue {QUEUE_NAME} exists and is not the operator's (no gdpr-operator tag)"
    if plumbing.rule is not None and not managed_by_operator(plumbing.rule_tags):
        return f"rule {RULE_NAME} on bus {BUS_NAME} exists and is not the operator's"
    return None


def hub_problem(found: HubPlumbing, hub: Hub, members: Collection[str]) -> str | None:
    wrong = []
    if found.bus_arn is None:
        wrong.append(f"event bus {BUS_NAME} does not exist")
    elif found.bus_policy is None or not same_policy(found.bus_policy, bus_policy(hub, members)):
        wrong.append(f"event bus {BUS_NAME} policy does not let exactly the member accounts in")
    plumbing = found.plumbing
    if plumbing.queue_url is None:
        wrong.append(f"queue {QUEUE_NAME} does not exist")
    elif plumbing.queue_policy != hub_queue_policy(hub):
        wrong.append(f"queue {QUEUE_NAME} policy is not the hub rule's")
    if plumbing.rule is None:
        wrong.append(f"rule {RULE_NAME} on bus {BUS_NAME} does not exist")
    else:
        wrong += rule_problems(plumbing.rule)
        if hub.queue_arn not in plumbing.target_arns:
            wrong.append(f"rule {RULE_NAME} on bus {BUS_NAME} does not target queue {QUEUE_NAME}")
    return "; ".join(wrong) or None


def hub_repairs(
    found: HubPlumbing, hub: Hub, members: Collection[str], tags: Mapping[str, str]
) -> tuple[Call, ...]:
    """The bus with its policy, the queue with its policy, the rule on the bus, its target:
    whichever is missing or not as declared, in that order."""
    calls: list[Call] = []
    if found.bus_arn is None:
        calls.append(Call("events", "create_event_bus", {"Name": BUS_NAME, "Tags": tag_list(tags)}))
    if found.bus_policy is None or not same_policy(found.bus_policy, bus_policy(hub, members)):
        calls.append(
            Call(
                "events",
                "put_permission",
                {"EventBusName": BUS_NAME, "Policy": json.dumps(bus_policy(hub, members))},
            )
        )
    plumbing = found.plumbing
    calls += queue_calls(plumbing, hub_queue_policy(hub), tags)
    calls += rule_calls(plumbing, tags, HUB_RULE_DESCRIPTION, bus=BUS_NAME)
    calls += target_calls(plumbing, {"Id": TARGET_ID, "Arn": hub.queue_arn}, bus=BUS_NAME)
    return tuple(calls)


def hub_delta(
    found: HubPlumbing, hub: Hub, members: Collection[str], tags: Mapping[str, str]
) -> Delta:
    """events.hub: the hub's bus, rule, queue and target, and the calls that make them as
    declared; what is not the operator's is reported and left alone."""
    return Delta(
        BUS_NAME,
        {HUB: hub_problem(found, hub, members)},
        calls=hub_repairs(found, hub, members, tags),
        left_alone=hub_not_owned(found) or "",
    )


# The forwarder role, in each member account.


def forwarder_role_arn(account_id: str) -> str:
    return service_role_arn(account_id, FORWARDER_ROLE_NAME)


def forwarder_trust(account_id: str) -> dict[str, Any]:
    """EventBridge may assume the role, for this account's rules only."""
    return service_trust(EVENTS_SERVICE, account_id)


def forwarder_policy(hub: Hub) -> dict[str, Any]:
    """What the role may do: put events on the hub bus, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": hub.bus_arn}],
    }


def forwarder_problem(role: ServiceRole | None, account_id: str, hub: Hub) -> str | None:
    if role is None:
        return f"role {FORWARDER_ROLE_NAME} does not exist"
    wrong = []
    if not same_policy(role.trust, forwarder_trust(account_id)):
        wrong.append(
            f"role {FORWARDER_ROLE_NAME} does not trust {EVENTS_SERVICE} for this account only"
        )
    if role.policy is None or not same_policy(role.policy, forwarder_policy(hub)):
        wrong.append(
            f"role {FORWARDER_ROLE_NAME} does not allow events:PutEvents on {hub.bus_arn} only"
        )
    return "; ".join(wrong) or None


def forwarder_not_owned(role: ServiceRole | None) -> str | None:
    if role is None or role.owned:
        return None
    return (
        f"role {FORWARDER_ROLE_NAME} exists and is not the operator's (not under {IAM_PATH} "
        "with its gdpr-operator tag): nothing is forwarded through it"
    )


def forwarder_repairs(
    role: ServiceRole | None, account_id: str, hub: Hub, tags: Mapping[str, str]
) -> tuple[Call, ...]:
    """The IAM calls, in order, that make the role as declared (once per pass: every region
    of the account asks for the same role)."""
    declared = DeclaredRole(
        name=FORWARDER_ROLE_NAME,
        description="gdpr-operator: forwards drift events to the events hub bus",
        trust=forwarder_trust(account_id),
        policy_name=FORWARD_POLICY_NAME,
        policy=forwarder_policy(hub),
    )
    calls = role_calls(role, declared, tags)
    return tuple(replace(call, once=True) for call in calls)


def forwards_through_role(plumbing: Plumbing, account_id: str) -> bool:
    """Whether the operator's rule sends its events through the account's forwarder role
    (to an events hub bus): read from the rule's targets, no IAM call."""
    return (
        plumbing.rule is not None
        and managed_by_operator(plumbing.rule_tags)
        and forwarder_role_arn(account_id) in plumbing.target_roles.values()
    )


def hub_queue_released(plumbing: Plumbing, target: Target) -> bool:
    """Whether releasing a hub removes the queue found in its account-region: the operator's,
    and not since taken over as the account-region's own queue (its policy the default-bus
    rule's, as a pass without a hub makes it)."""
    return (
        plumbing.queue_url is not None
        and managed_by_operator(plumbing.queue_tags)
        and plumbing.queue_policy != queue_policy(target)
    )


# The member account-region's rule, forwarding to the hub.


def forward_problem(
    plumbing: Plumbing, target: Target, hub: Hub, *, iam_only: bool = False
) -> str | None:
    wrong = []
    if plumbing.rule is None:
        wrong.append(f"rule {RULE_NAME} does not exist")
    else:
        wrong += rule_problems(plumbing.rule, iam_only=iam_only)
        role = plumbing.target_roles.get(hub.bus_arn)
        if hub.bus_arn not in plumbing.target_arns:
            wrong.append(f"rule {RULE_NAME} does not target the events hub bus {hub.bus_arn}")
        elif role != forwarder_role_arn(target.account_id):
            wrong.append(f"rule {RULE_NAME} does not forward through role {FORWARDER_ROLE_NAME}")
    if _old_queue(plumbing, target, hub):
        wrong.append(f"queue {QUEUE_NAME} is not used with an events hub: removed")
    return "; ".join(wrong) or None


def _old_queue(plumbing: Plumbing, target: Target, hub: Hub) -> bool:
    """The operator's own queue of before the hub, in an account-region that is not the hub
    (in the hub, the queue of that name is the hub's)."""
    return (
        plumbing.queue_url is not None
        and managed_by_operator(plumbing.queue_tags)
        and not hub.is_at(target)
    )


def forward_repairs(
    plumbing: Plumbing,
    target: Target,
    hub: Hub,
    tags: Mapping[str, str],
    *,
    iam_only: bool = False,
) -> tuple[Call, ...]:
    """The rule, its one target (the hub bus, through the forwarder role: it replaces the
    queue of before, under the same target id), and the old queue removed."""
    wanted = {"Id": TARGET_ID, "Arn": hub.bus_arn, "RoleArn": forwarder_role_arn(target.account_id)}
    calls = [
        *rule_calls(plumbing, tags, RULE_DESCRIPTION, iam_only=iam_only),
        *target_calls(plumbing, wanted),
    ]
    if _old_queue(plumbing, target, hub):
        calls.append(Call("sqs", "delete_queue", {"QueueUrl": plumbing.queue_url}))
    return tuple(calls)


def forwarding_delta(
    plumbing: Plumbing,
    role: ServiceRole | None,
    target: Target,
    hub: Hub,
    tags: Mapping[str, str],
    *,
    iam_only: bool = False,
) -> Delta:
    """events.delivery of a member account-region with an events hub: the forwarder role,
    the rule (matching IAM's events alone: `iam_only`) forwarding to the hub bus through it,
    and no queue of its own (the hub's own queue aside); the calls that make it so. A rule
    or role that is not the operator's is reported and left alone."""
    wrong = [
        problem
        for problem in (
            forwarder_problem(role, target.account_id, hub),
            forward_problem(plumbing, target, hub, iam_only=iam_only),
        )
        if problem
    ]
    rule_not_owned = (
        f"rule {RULE_NAME} exists and is not the operator's (no gdpr-operator tag)"
        if plumbing.rule is not None and not managed_by_operator(plumbing.rule_tags)
        else None
    )
    return Delta(
        RULE_NAME,
        {DELIVERY: "; ".join(wrong) or None},
        calls=(
            *forwarder_repairs(role, target.account_id, hub, tags),
            *forward_repairs(plumbing, target, hub, tags, iam_only=iam_only),
        ),
        left_alone=forwarder_not_owned(role) or rule_not_owned or "",
    )


def external_forward_problem(plumbing: Plumbing, hub: Hub, *, iam_only: bool = False) -> str | None:
    """events.delivery under External with an events hub: the owner's stack (the template
    with its hub parameter) makes the rule forward to the hub bus through a role of its own."""
    if plumbing.rule is None:
        return f"rule {RULE_NAME} does not exist"
    wrong = rule_problems(plumbing.rule, iam_only=iam_only)
    if hub.bus_arn not in plumbing.target_arns:
        wrong.append(f"rule {RULE_NAME} does not target the events hub bus {hub.bus_arn}")
    elif not plumbing.target_roles.get(hub.bus_arn):
        wrong.append(f"rule {RULE_NAME} forwards to the events hub bus through no role")
    return "; ".join(wrong) or None
