"""Extensions to moto's SQS: sending costs the same however many messages the queue holds;
messages delivered to a queue as EventBridge delivers them, not through the API.

moto reads a queue's ContentBasedDeduplication for every message sent through
`Queue.attributes`, which computes every attribute, ApproximateNumberOfMessages and the
other counts among them, each a scan of all the queue's messages: a message sent into a
backlog of n messages cost O(n), and a storm's backlog made sending quadratic (SendMessageBatch
into a queue of a few thousand messages took seconds). Here `Queue.attributes` is a mapping
that computes an attribute when it is read: ContentBasedDeduplication without the counts,
every other (and any iteration) moto's full attributes, computed once per read of
`attributes`. What is answered is moto's.

`deliver_messages` puts message bodies into a queue as a rule's target gets them: no API
call (none counted, none answered), as fast as moto stores them; for storms of events that
the sandbox's own matching and delivery, in this one process, could not bring in time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import Queue, sqs_backends

from ._errors import ApiError

CONTENT_BASED_DEDUPLICATION = "ContentBasedDeduplication"

_moto_attributes: Callable[[Queue], dict[str, Any]] = vars(Queue)["attributes"].fget


class QueueAttributes(Mapping[str, Any]):
    """moto's attributes of one queue, computed when first needed."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def __getitem__(self, name: str) -> Any:
        if name == CONTENT_BASED_DEDUPLICATION:
            if not self._queue.fifo_queue:  # moto has FIFO attributes on FIFO queues only
                raise KeyError(name)
            value = vars(self._queue)["content_based_deduplication"]
            return str(value).lower() if isinstance(value, bool) else value
        return self._everything()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

    def _everything(self) -> dict[str, Any]:
        if self._all is None:
            self._all = _moto_attributes(self._queue)
        return self._all


def install() -> None:
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]


def deliver_messages(account: str, region: str, queue: str, bodies: list[str]) -> list[str]:
    """Puts `bodies` into queue `queue` (by name) of `account` in `region`, each a message,
    as EventBridge delivers to a target; returns their message ids."""
    backend = sqs_backends[account][region]
    try:
        backend.get_queue(queue)
    except QueueDoesNotExist:
        raise ApiError(
            "AWS.SimpleQueueService.NonExistentQueue",
            f"The specified queue {queue} does not exist in {account}/{region}.",
        ) from None
    return [backend.send_message(queue, body).id for body in bodies]
