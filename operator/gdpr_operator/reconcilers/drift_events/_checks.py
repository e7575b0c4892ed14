"""The events.delivery check, with the GDPR articles it serves and the IAM actions it calls
(the consumer's ReceiveMessage and DeleteMessage included: it reads the queue made here, or
under External by the template; External calls only the reads)."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._tags import IAM_PATH
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    FORWARDER_ROLE_NAME,
    QUEUE_NAME,
    RULE_NAME,
)
from gdpr_operator.reconcilers.instance_profiles._checks import CHANGE_ROLES, CREATE_ROLES

DELIVERY = CheckInfo(
    id="events.delivery",
    summary="The EventBridge rule matching the changes that can cause drift is enabled and "
    "targets the operator's queue, whose policy lets only that rule send to it (events.mode "
    "Managed, or External: made by the account's owner from the operator's template).",
    articles=("32(1)(d)", "33"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=frozenset(
        {
            "events:ListRules",
            "events:ListTargetsByRule",
            "events:ListTagsForResource",
            "events:PutRule",
            "events:TagResource",
            "events:PutTargets",
            "sqs:ListQueues",
            "sqs:GetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:CreateQueue",
            "sqs:TagQueue",
            "sqs:SetQueueAttributes",
        }
    ),
)
HUB = CheckInfo(
    id="events.hub",
    summary="With an events hub (gdpr-operator run --events-hub), in the hub account-region: "
    "the operator's event bus lets exactly the member accounts put events, and its rule "
    "targets the one queue the operator polls, whose policy lets only that rule send.",
    articles=("32(1)(d)", "33"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=frozenset(
        {
            "events:ListEventBuses",
            "events:DescribeEventBus",
            "events:ListTagsForResource",
            "events:CreateEventBus",
            "events:TagResource",
            "events:PutPermission",
            "events:ListRules",
            "events:ListTargetsByRule",
            "events:PutRule",
            "events:PutTargets",
            "sqs:ListQueues",
            "sqs:GetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:CreateQueue",
            "sqs:TagQueue",
            "sqs:SetQueueAttributes",
        }
    ),
)
FORWARDER_ACTIONS = frozenset(
    {
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:CreateRole",
        "iam:TagRole",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:PassRole",
    }
)
"""events.delivery with an events hub, in a member account: the forwarder role, made and
kept (CreateRole with tags needs TagRole), and passed to the rule's target."""
CHECKS = (DELIVERY,)
HUB_CHECKS = (HUB,)
CONSUMER_ACTIONS = frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage"})
RELEASE_ACTIONS = frozenset({"events:RemoveTargets", "events:DeleteRule", "sqs:DeleteQueue"})
HUB_RELEASE_ACTIONS = frozenset({"events:DeleteEventBus"})
FORWARDER_RELEASE_ACTIONS = frozenset({"iam:DeleteRolePolicy", "iam:DeleteRole"})
BUS = f"arn:aws:events:*:*:event-bus/{BUS_NAME}"
FORWARDER_ROLE_ARN = f"arn:aws:iam::*:role{IAM_PATH}{FORWARDER_ROLE_NAME}"

GRANTS = (
    Grant(
        sid="DriftEventRule",
        actions=frozenset(
            {
                "events:PutRule",
                "events:TagResource",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:DeleteRule",
            }
        ),
        # rule/NAME on the default bus, rule/BUS/NAME on the hub bus (BUS_NAME == RULE_NAME).
        resources=(f"arn:aws:events:*:*:rule/{RULE_NAME}*",),
        why="the one rule, by name, that sends the events able to cause drift to the "
        "operator's queue or forwards them to the events hub bus, and the hub bus's rule of "
        "that name; their target; deleted on release (no events:TargetArn condition: "
        "parliament cannot read its ARN-list type)",
    ),
    Grant(
        sid="DriftEventHubBus",
        actions=frozenset(
            {
                "events:CreateEventBus",
                "events:TagResource",
                "events:DeleteEventBus",
            }
        ),
        resources=(BUS,),
        why="the events hub's one bus, by name, made tagged; deleted on release",
    ),
    Grant(
        sid="HubBusPolicy",
        actions=frozenset({"events:PutPermission"}),
        resources=("*",),
        why="the hub bus's resource policy naming the member accounts that may put events "
        "on it (PutPermission has no resource type: AWS cannot scope it to the bus)",
    ),
    # The forwarder role: created and changed as every role under the operator's path.
    CREATE_ROLES,
    CHANGE_ROLES,
    Grant(
        sid="DriftEventForwarder",
        actions=frozenset({"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PassRole"}),
        resources=(FORWARDER_ROLE_ARN,),
        why="the forwarder role, by name under the operator's path: its inline policy (put "
        "events on the hub bus) kept and deleted on release, and the role passed to the member "
        "rule's target (its trust lets only EventBridge assume it; no conditions, to keep the "
        "policy within IAM's size limit)",
    ),
    Grant(
        sid="DriftEventQueue",
        actions=frozenset(
            {
                "sqs:CreateQueue",
                "sqs:TagQueue",
                "sqs:SetQueueAttributes",
                "sqs:DeleteQueue",
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
            }
        ),
        resources=(f"arn:aws:sqs:*:*:{QUEUE_NAME}",),
        why="the one queue, by name, the rule sends to and the operator reads; its policy "
        "lets only that rule send; deleted on release",
    ),
)
