"""botocore operation -> IAM action ("guardduty:ListDetectors").

The IAM prefix is the service's signing name (else its endpoint prefix) and the action is the
operation's name, except for the few services and operations that IAM names differently.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore import xform_name
from botocore.model import ServiceModel

from ._shared_models import shared_loader

_PREFIX_BY_SIGNING_NAME = {
    "monitoring": "cloudwatch",  # CloudWatch signs as "monitoring"; IAM says "cloudwatch"
    "email": "ses",
    "execute-api": "apigateway",
}
READ_VERBS = ("Describe", "Get", "List")
"""IAM actions named so only read; every other action may change something."""

_ACTION_BY_OPERATION = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
}


def iam_action_for(service_model: Any, operation_name: str) -> str:
    """IAM action of a CamelCase operation of a botocore ServiceModel."""
    metadata: dict[str, str] = service_model.metadata
    signing_name = metadata.get("signingName") or metadata["endpointPrefix"]
    prefix = _PREFIX_BY_SIGNING_NAME.get(signing_name, signing_name)
    return _ACTION_BY_OPERATION.get((prefix, operation_name), f"{prefix}:{operation_name}")


def iam_action(service: str, operation: str) -> str:
    """The IAM action an operation needs: ("guardduty", "list_detectors" or "ListDetectors")
    -> "guardduty:ListDetectors". `service` is a boto3 service name."""
    return iam_action_for(_operations(service)[0], operation_name(service, operation))


def operation_name(service: str, operation: str) -> str:
    """The API's name of an operation: ("ec2", "describe_instances") -> "DescribeInstances"."""
    return _operations(service)[1].get(operation, operation)


@cache
def _operations(service: str) -> tuple[ServiceModel, dict[str, str]]:
    model = ServiceModel(shared_loader().load_service_model(service, "service-2"), service)
    return model, {xform_name(name): name for name in model.operation_names}


def is_read_action(action: str) -> bool:
    """Whether an IAM action ("guardduty:ListDetectors") only reads."""
    return action.split(":", 1)[1].startswith(READ_VERBS)


def is_read_operation(service: str, operation: str) -> bool:
    """Whether a call (boto3 names: "ssm", "get_parameters") only reads, by its IAM action."""
    return is_read_action(iam_action(service, operation))
