"""What AWS puts on EventBridge for the calls the sandbox serves: for each write API call
answered with success, the CloudTrail management event (detail-type "AWS API Call via
CloudTrail"), and for EC2 instances started, stopped or terminated, "EC2 Instance
State-change Notification"; and for each GuardDuty finding seeded, "GuardDuty Finding", as
GuardDuty publishes a new finding.

Events go onto the default bus of the call's account and region in moto's EventBridge, which
matches them against the rules there and delivers them to the rules' targets (SQS queues,
log groups, other buses): moto's own pattern matching and delivery. IAM is global: its
events, as in AWS, are on the us-east-1 bus.

As in AWS, read-only calls (Describe*, Get*, List*, ...) and data events (SQS messages, log
events, PutEvents itself) produce none, nor does STS. Delivery waits
GDPR_SANDBOX_EVENT_DELAY seconds (default 0: before the call's answer leaves), AWS's being
best effort and typically well under a minute. Corrections to moto's delivery: the event
a target gets keeps its envelope's "account", as AWS's does; and a target that is an event
bus of another account or Region gets the event unchanged, only as the bus's resource policy
and the target's role allow (`_ext_events`).
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from moto.ec2.models import ec2_backends
from moto.events.models import events_backends
from moto.events.utils import EventTemplateParser
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from werkzeug.exceptions import NotFound

from ._ext_events import install as install_bus_delivery
from ._requests import AwsRequest, ServerRequest, form_params, read_body

API_CALL = "AWS API Call via CloudTrail"
INSTANCE_STATE_CHANGE = "EC2 Instance State-change Notification"
FINDING = "GuardDuty Finding"
DELAY_VARIABLE = "GDPR_SANDBOX_EVENT_DELAY"

_READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "Search", "Filter", "Head", "BatchGet")
_DATA_EVENTS = {
    "sqs": {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    },
    "logs": {"PutLogEvents"},
    "events": {"PutEvents"},
}
_NO_EVENTS = {"sts"}
_STATE_CHANGING = {"RunInstances", "StartInstances", "StopInstances", "TerminateInstances"}
_INSTANCE_ID = re.compile(rb"<instanceId>(i-[0-9a-f]+)</instanceId>")
_FORM_ONLY = {"Action", "Version"}

# moto delivers an event to a target without its envelope's "account" (AWS keeps it).
EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = (
    '{"id": "<id>", "time": <time>, "version": "0", "detail-type": "<detail-type>", '
    '"source": "<source>", "account": "<account>", "region": "<region>", '
    '"resources": <resources>, "detail": <detail>}'
)

install_bus_delivery()


def emits_event(request: AwsRequest) -> bool:
    """Whether AWS puts a management event on EventBridge for this call."""
    return (
        request.service not in _NO_EVENTS
        and not request.operation.startswith(_READ_PREFIXES)
        and request.operation not in _DATA_EVENTS.get(request.service, ())
    )


def request_parameters(environ: dict[str, Any], request: AwsRequest) -> dict[str, Any]:
    """The call's parameters as CloudTrail records them: member names in lower camel case,
    from the form (query and EC2 protocols), the JSON body, and a REST call's URI."""
    if request.protocol in ("query", "ec2"):
        params: dict[str, Any] = {
            name: value
            for name, value in form_params(environ, request).items()
            if name not in _FORM_ONLY
        }
    else:
        body = read_body(environ)
        try:
            decoded = json.loads(body) if body else {}
        except ValueError:
            decoded = {}
        params = decoded if isinstance(decoded, dict) else {}
        if request.protocol.startswith("rest"):
            params = {**_uri_params(environ, request.service), **params}
    recorded: dict[str, Any] = _camel(params)
    return recorded


def user_identity(request: AwsRequest) -> dict[str, Any]:
    """CloudTrail's userIdentity of the credentials that signed the call."""
    identity: dict[str, Any] = {"accountId": request.account, "accessKeyId": request.access_key}
    role = sts_backends[request.account]["aws"].get_assumed_role_from_access_key(request.access_key)
    if role is not None:
        return {
            **identity,
            "type": "AssumedRole",
            "arn": str(role.arn),
            "principalId": f"{role.access_key_id}:{role.session_name}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": role.role_arn,
                    "accountId": request.account,
                    "userName": role.role_arn.rsplit("/", 1)[-1],
                }
            },
        }
    key = iam_backends[request.account]["aws"].access_keys.get(request.access_key)
    if key is not None and key.user_name:
        return {
            **identity,
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{request.account}:user/{key.user_name}",
            "userName": key.user_name,
        }
    return {**identity, "type": "Root", "arn": f"arn:aws:iam::{request.account}:root"}


def api_call_event(request: AwsRequest, parameters: dict[str, Any], at: float) -> dict[str, Any]:
    """The PutEvents entry of a CloudTrail management event."""
    prefix = get_service_model(request.service).metadata["endpointPrefix"]
    detail = {
        "eventVersion": "1.08",
        "userIdentity": user_identity(request),
        "eventTime": _iso(at),
        "eventSource": f"{prefix}.amazonaws.com",
        "eventName": request.operation,
        "awsRegion": request.region,
        "sourceIPAddress": "127.0.0.1",
        "requestParameters": parameters or None,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": request.account,
        "eventCategory": "Management",
    }
    return {
        "Source": f"aws.{prefix}",
        "DetailType": API_CALL,
        "Detail": json.dumps(detail),
        "Time": at,
    }


def instance_state_events(request: AwsRequest, answer: bytes, at: float) -> list[dict[str, Any]]:
    """EC2's state-change notification for each instance the call started, stopped or
    terminated, with the state moto holds for it now."""
    if request.service != "ec2" or request.operation not in _STATE_CHANGING:
        return []
    backend = ec2_backends[request.account][request.region]
    events = []
    for instance_id in dict.fromkeys(_INSTANCE_ID.findall(answer)):
        instance = backend.get_instance(instance_id.decode())
        arn = f"arn:aws:ec2:{request.region}:{request.account}:instance/{instance.id}"
        events.append(
            {
                "Source": "aws.ec2",
                "DetailType": INSTANCE_STATE_CHANGE,
                "Detail": json.dumps({"instance-id": instance.id, "state": instance.state}),
                "Resources": [arn],
                "Time": at,
            }
        )
    return events


def finding_event(finding: dict[str, Any], at: float) -> dict[str, Any]:
    """The PutEvents entry of a GuardDuty finding (as GetFindings shows it): its detail is the
    finding with member names in lower camel case, as GuardDuty publishes it."""
    return {
        "Source": "aws.guardduty",
        "DetailType": FINDING,
        "Detail": json.dumps(_camel(finding)),
        "Time": at,
    }


def deliver_findings(
    account: str, region: str, findings: list[dict[str, Any]], at: float | None = None
) -> None:
    """Put the event of each finding on the default bus of its account and region."""
    at = time.time() if at is None else at
    put_on_bus(account, region, [finding_event(finding, at) for finding in findings])


def deliver(request: AwsRequest, entries: list[dict[str, Any]]) -> None:
    """Put `entries` on the default bus of the call's account and region (IAM: us-east-1),
    now or after the configured delay."""
    region = "us-east-1" if request.service == "iam" else request.region
    put_on_bus(request.account, region, entries)


def put_on_bus(account: str, region: str, entries: list[dict[str, Any]]) -> None:
    """Put `entries` on the default bus of the account and region, now or after the
    configured delay."""
    if not entries:
        return
    backend = events_backends[account][region]

    def put() -> None:
        for start in range(0, len(entries), 10):  # PutEvents takes ten at a time
            backend.put_events(entries[start : start + 10])

    delay = float(os.environ.get(DELAY_VARIABLE) or 0)
    if delay > 0:
        threading.Timer(delay, put).start()
    else:
        put()


def emit(
    request: AwsRequest, parameters: dict[str, Any], answer: bytes, at: float | None = None
) -> None:
    """Everything EventBridge gets for one successful call."""
    at = time.time() if at is None else at
    entries = [api_call_event(request, parameters, at), *instance_state_events(request, answer, at)]
    deliver(request, entries)


def _uri_params(environ: dict[str, Any], service: str) -> dict[str, Any]:
    body = read_body(environ)
    try:
        _, params = get_service_router(service).match(ServerRequest(environ))
    except (NotFound, NotImplementedError):
        return {}
    finally:
        environ["wsgi.input"] = io.BytesIO(body)  # matching may have read it
    return dict(params)


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_lower_first(str(key)): _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
