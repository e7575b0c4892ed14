"""Which AWS API a request to the sandbox calls: service, operation, account, region."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.core.routing import get_service_router
from moto.core.utils import get_service_model
from moto.iam.models import iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sts.models import sts_backends
from werkzeug.exceptions import NotFound

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class ServerRequest(Request):
    """moto's request, as received by a real WSGI server."""

    from_wsgi_server = True


@dataclass(frozen=True, slots=True)
class AwsRequest:
    """An identified AWS API request. `service` is the boto3 name ("guardduty", "cloudwatch")."""

    service: str
    operation: str
    protocol: str
    account: str
    region: str
    access_key: str

    @property
    def principal(self) -> str:
        """The caller's ARN, as AWS names it in AccessDenied messages."""
        partition = sts_backends[self.account]["aws"]
        role = partition.get_assumed_role_from_access_key(self.access_key)
        return str(role.arn) if role is not None else f"arn:aws:iam::{self.account}:root"


def identify(environ: dict[str, Any], dispatcher: DomainDispatcherApplication) -> AwsRequest | None:
    """The AWS API a SigV4-signed request calls; None for anything else (moto-api, unsigned).

    Reads (and restores) the body of query-protocol requests, whose Action is a form field.
    """
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    access_key, region, _signing_name = scope.groups()
    host = dispatcher.infer_service_region_host(environ, environ.get("PATH_INFO", ""))
    service = dispatcher.get_backend_for_host(host)
    if not isinstance(service, str):
        return None
    model = get_service_model(service)
    return AwsRequest(
        service=service,
        operation=_operation(environ, service, model.protocol),
        protocol=model.protocol,
        account=environ.get("HTTP_X_MOTO_ACCOUNT_ID") or account_of(access_key),
        region=region,
        access_key=access_key,
    )


def account_of(access_key: str) -> str:
    """The account whose IAM knows `access_key` (the default account if none does).

    moto's own lookup (`get_account_id_from`) indexes every partition of every account, and
    indexing one that does not exist yet builds its IAM backend with all of AWS's managed
    policies, seconds each under moto's global lock: with many accounts, every request stalled
    behind it. An access key can only be in a backend that exists, so those alone are read.
    """
    for account_id, partitions in list(iam_backends.items()):
        if any(access_key in iam.access_keys for iam in list(partitions.values())):
            return account_id
    return DEFAULT_ACCOUNT_ID


def _operation(environ: dict[str, Any], service: str, protocol: str) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if protocol in ("query", "ec2"):
        return _form_action(environ)
    body = read_body(environ)
    try:
        operation, _ = get_service_router(service).match(ServerRequest(environ))
    except (NotFound, NotImplementedError):
        return ""
    finally:
        environ["wsgi.input"] = io.BytesIO(body)  # matching may have read it
    return str(operation.name)


def _form_action(environ: dict[str, Any]) -> str:
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return str(action[0])
    body = read_body(environ)
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


def form_params(environ: dict[str, Any], request: AwsRequest) -> dict[str, str]:
    """A query- or EC2-protocol request's parameters (first values); {} for other protocols."""
    if request.protocol not in ("query", "ec2"):
        return {}
    form = parse_qs(read_body(environ).decode("utf-8", "replace"))
    form.update(parse_qs(environ.get("QUERY_STRING", "")))
    return {name: values[0] for name, values in form.items()}


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, left readable for whoever handles the request next."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
