"""The events.delivery check, with the GDPR articles it serves and the IAM actions it calls
(the consumer's ReceiveMessage and DeleteMessage included: it reads the queue made here, or
under External by the template; External calls only the reads)."""

from __future__ import annotations

from gdpr_operator.model import CheckInfo, Scope
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers.drift_events._events import QUEUE_NAME, RULE_NAME

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
CHECKS = (DELIVERY,)
CONSUMER_ACTIONS = frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage"})
RELEASE_ACTIONS = frozenset({"events:RemoveTargets", "events:DeleteRule", "sqs:DeleteQueue"})

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
        resources=(f"arn:aws:events:*:*:rule/{RULE_NAME}",),
        why="the one rule, by name, that sends the events able to cause drift to the "
        "operator's queue, and its target; deleted on release (no events:TargetArn condition: "
        "parliament cannot read its ARN-list type)",
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
