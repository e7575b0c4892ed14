"""The events.delivery check, with the GDPR articles it serves and the IAM actions it calls
(the consumer's ReceiveMessage and DeleteMessage included: it reads the queue made here, or
under External by the template; External calls only the reads)."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._service_roles import service_role_grants
from gdpr_operator.reconcilers.drift_events._events import (
    BUS_NAME,
    EVENTS_SERVICE,
    FORWARDER_ROLE_NAME,
    QUEUE_NAME,
    RULE_NAME,
)

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
        # rule/NAME on the default bus, rule/BUS/NAME on the hub bus.
        resources=(
            f"arn:aws:events:*:*:rule/{RULE_NAME}",
            f"arn:aws:events:*:*:rule/{BUS_NAME}/{RULE_NAME}",
        ),
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
    *service_role_grants(
        "DriftEventForwarderRole",
        FORWARDER_ROLE_NAME,
        EVENTS_SERVICE,
        "the drift events' forwarder role",
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
