"""Fault injection: rules switched on at run time, matched against each AWS request.

A rule names a `service` (boto3 name) and optionally an `operation` (API name, e.g.
"ListDetectors"), `account` and `region` ("*" matches any); its `fault` is one of:

- `throttle`: the service's throttling error (EC2 RequestLimitExceeded 503, query
  Throttling 400, JSON ThrottlingException 400);
- `server_error`: 503 ServiceUnavailable;
- `access_denied`: the service's AccessDenied error (EC2 UnauthorizedOperation, query
  AccessDenied, JSON AccessDeniedException), its message naming the caller and IAM action
  as AWS's do;
- `expired_token`: the error AWS gives a request signed with expired temporary credentials
  (ExpiredToken, or ExpiredTokenException in JSON protocols; 403);
- `latency`: the request is answered normally, `latency_ms` later.

`latency_ms` also delays the other faults. `count` limits how many requests the rule
hits (unlimited when absent); `rate` (0..1) is the share of matching requests hit, drawn
from a generator seeded per rule so that runs repeat.
"""

from __future__ import annotations

import enum
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from moto.core.utils import get_service_model

from gdpr_operator.aws import iam_action

from ._requests import AwsRequest

ANY = "*"
# Protocols whose error bodies this module can write (not CloudWatch's CBOR).
SUPPORTED_PROTOCOLS = frozenset({"ec2", "query", "json", "rest-json", "rest-xml"})


class Fault(enum.StrEnum):
    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    ACCESS_DENIED = "access_denied"
    EXPIRED_TOKEN = "expired_token"
    LATENCY = "latency"


@dataclass(slots=True)
class FaultRule:
    service: str
    fault: Fault
    operation: str = ANY
    account: str = ANY
    region: str = ANY
    count: int | None = None
    rate: float = 1.0
    latency_ms: int = 0
    _random: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        known = {
            "service",
            "fault",
            "operation",
            "account",
            "region",
            "count",
            "rate",
            "latency_ms",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rule = cls(
            service=str(data["service"]),
            fault=Fault(data["fault"]),
            operation=str(data.get("operation", ANY)),
            account=str(data.get("account", ANY)),
            region=str(data.get("region", ANY)),
            count=None if data.get("count") is None else int(data["count"]),
            rate=float(data.get("rate", 1.0)),
            latency_ms=int(data.get("latency_ms", 0)),
        )
        if not 0.0 <= rule.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if rule.fault is not Fault.LATENCY and _protocol(rule.service) not in SUPPORTED_PROTOCOLS:
            raise ValueError(f"cannot write {rule.service}'s errors (protocol not supported)")
        return rule

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "fault": self.fault.value,
            "operation": self.operation,
            "account": self.account,
            "region": self.region,
            "count": self.count,
            "rate": self.rate,
            "latency_ms": self.latency_ms,
        }

    def matches(self, request: AwsRequest) -> bool:
        return (
            self.service == request.service
            and self.operation in (ANY, request.operation)
            and self.account in (ANY, request.account)
            and self.region in (ANY, request.region)
        )


class Faults:
    """The active rules. Thread-safe: the sandbox serves requests from several threads."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def draw(self, request: AwsRequest) -> FaultRule | None:
        """The first rule that hits this request, its count spent; None when none does."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(request) or rule.count == 0:
                    continue
                if rule._random.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None


def _protocol(service: str) -> str:
    try:
        return str(get_service_model(service).protocol)
    except Exception as error:  # botocore's UnknownServiceError, not importable here
        raise ValueError(f"unknown service {service!r}") from error


_THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503),
    "query": ("Throttling", 400),
    "rest-xml": ("SlowDown", 503),
}
_DENIED = {
    "ec2": ("UnauthorizedOperation", 403),
    "query": ("AccessDenied", 403),
    "rest-json": ("AccessDeniedException", 403),
    "rest-xml": ("AccessDenied", 403),
}


def error_response(request: AwsRequest, fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of the error `fault` stands for, in the request's protocol."""
    if fault is Fault.ACCESS_DENIED:
        return denied_response(request, iam_action(request.service, request.operation))
    protocol = request.protocol
    if fault is Fault.THROTTLE:
        code, status = _THROTTLE.get(protocol, ("ThrottlingException", 400))
        message = "Rate exceeded"
    elif fault is Fault.SERVER_ERROR:
        code, status = "ServiceUnavailable", 503
        message = "Service is unavailable. Please try again later."
    else:  # Fault.EXPIRED_TOKEN
        json_protocol = protocol in ("json", "rest-json")
        code, status = ("ExpiredTokenException" if json_protocol else "ExpiredToken"), 403
        message = "The security token included in the request is expired"
    return (status, *_render(protocol, code, message, str(uuid.uuid4())))


def denied_response(
    request: AwsRequest, action: str, resource: str | None = None, explicit: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """The service's AccessDenied error for `action` (on `resource`), its message worded as
    AWS's: an explicit deny, or no identity-based policy allowing it."""
    code, status = _DENIED.get(request.protocol, ("AccessDeniedException", 400))
    on = f" on resource: {resource}" if resource and resource != "*" else ""
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit
        else f"because no identity-based policy allows the {action} action"
    )
    message = f"User: {request.principal} is not authorized to perform: {action}{on} {why}"
    if request.protocol == "ec2":
        message = f"You are not authorized to perform this operation. {message}"
    return (status, *_render(request.protocol, code, message, str(uuid.uuid4())))


def _render(
    protocol: str, code: str, message: str, request_id: str
) -> tuple[dict[str, str], bytes]:
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return {"Content-Type": "text/xml"}, body.encode()
    if protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return {"Content-Type": "text/xml"}, body.encode()
    if protocol == "rest-xml":
        body = (
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return {"Content-Type": "application/xml"}, body.encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}
    if protocol == "rest-json":
        headers = {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
    return headers, json.dumps({"__type": code, "message": message}).encode()
