"""Extensions to moto's SQS: sending costs the same however many messages the queue holds;
messages delivered to a queue as EventBridge delivers them, not through the API.

moto reads a queue's ContentBasedDeduplication for every message sent through
`Queue.attributes`, which computes every attribute, ApproximateNumberOfMessages and the
other counts among them, each a scan of all the queue's messages: a message sent into a
backlog of n messages cost O(n), and a storm's backlog made sending quadratic (SendMessageBatch
into a queue of a few thousand messages took seconds); GetQueueAttributes computed them all
three times for each attribute asked. Here `Queue.attributes` is a mapping that computes an
attribute when it is read, as moto computes it: its names are moto's (the base ones, the FIFO
ones on FIFO queues, the KMS ones on encrypted queues).

moto's queue is not safe across the server's threads: a delete rebuilds the list of messages
(a message sent meanwhile was lost) and a receive iterates the in-flight set that a delete
changes (RuntimeError). Here receives and deletes hold the queue's own lock, which sends
already hold (a long poll's wait releases it).

`deliver_messages` puts message bodies into a queue as a rule's target gets them: no API
call (none counted, none answered), as fast as moto stores them; for storms of events that
the sandbox's own matching and delivery, in this one process, could not bring in time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import Queue, SQSBackend, sqs_backends

from ._errors import ApiError


class QueueAttributes(Mapping[str, Any]):
    """moto's attributes of one queue, each computed when read."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        return [
            *queue.BASE_ATTRIBUTES,
            *(queue.FIFO_ATTRIBUTES if queue.fifo_queue else ()),
            *(queue.KMS_ATTRIBUTES if vars(queue).get("kms_master_key_id") else ()),
        ]

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        redrive = self._queue.redrive_policy
        if name == "RedrivePolicy" and redrive:
            return json.dumps(redrive)
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


_moto_delete = Queue.delete_message
_moto_receive = SQSBackend.receive_message


def _delete_message(self: Queue, receipt_handle: str) -> None:
    with self._messages_lock:
        _moto_delete(self, receipt_handle)


def _receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
    with self.get_queue(queue_name)._messages_lock:
        return _moto_receive(self, queue_name, *args, **kwargs)


def install() -> None:
    Queue.attributes = property(QueueAttributes)  # type: ignore[assignment,method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    SQSBackend.receive_message = _receive_message  # type: ignore[method-assign]


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
