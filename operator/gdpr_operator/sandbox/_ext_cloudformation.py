"""CloudFormation resource types that moto 5.2 lacks, on moto's own resources.

- AWS::SQS::QueuePolicy: sets the policy of each queue of `Queues` (their URLs, as `Ref` of
  an AWS::SQS::Queue gives them) to `PolicyDocument`, as AWS does; deleting the resource
  removes the policies. moto skips a type it does not know, with a warning, and the stack
  still completes: the events.mode External template's queue would be left without policy.

moto finds resource types among CloudFormationModel's subclasses, once, at the first stack:
importing this module before that (the sandbox's app does) registers them.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.sqs.models import sqs_backends


class QueuePolicy(CloudFormationModel):
    """An AWS::SQS::QueuePolicy: its queues (by URL) and the policy it set on them."""

    def __init__(self, account_id: str, region: str, urls: list[str], policy: str) -> None:
        self.account_id, self.region, self.urls, self.policy = account_id, region, urls, policy

    @property
    def physical_resource_id(self) -> str:
        return ",".join(self.urls)

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> QueuePolicy:
        properties = cloudformation_json["Properties"]
        document = properties["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        made = cls(account_id, region_name, list(properties["Queues"]), policy)
        made._apply(policy)
        return made

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> None:
        urls = cloudformation_json["Properties"]["Queues"]
        cls(account_id, region_name, list(urls), "")._apply("")

    def delete(self, account_id: str, region_name: str) -> None:
        self._apply("")

    def _apply(self, policy: str) -> None:
        backend = sqs_backends[self.account_id][self.region]
        for url in self.urls:
            name = url.rsplit("/", 1)[-1]
            if name in backend.queues:
                backend.set_queue_attributes(name, {"Policy": policy})
