"""The sandbox's WSGI application: moto, behind control endpoints, fault injection and the
extensions (see the package docstring)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.core.responses import BaseResponse
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request, Response

from ._agent_sim import simulate_once
from ._calls import CallLog
from ._cloudtrail import deliver_findings, emit, emits_event, request_parameters
from ._errors import ApiError
from ._ext_cloudformation import QueuePolicy
from ._ext_cloudfront import CloudFrontExtensions
from ._ext_config import EVALUATIONS, ConfigExtensions
from ._ext_ec2 import ASSOCIATION_HOLDS, Ec2Extensions
from ._ext_guardduty import FINDINGS, GuardDutyExtensions
from ._ext_guardduty_org import GuardDutyOrganizationExtensions
from ._ext_logs import LogsExtensions
from ._ext_sqs import deliver_messages
from ._ext_sqs import install as install_sqs_attributes
from ._ext_ssm import ASSOCIATIONS, SsmExtensions, apply_associations, record_failed_run
from ._ext_sts import EXPIRED_SESSIONS, StsExtensions
from ._ext_support import SUPPORT_PLANS, SupportExtensions
from ._faults import Fault, FaultRule, Faults, denied_response, error_response
from ._iam_context import Call, parsed_body
from ._iam_enforce import refusal
from ._iam_eval import Decision
from ._profile import REALISM
from ._requests import AwsRequest, ServerRequest, form_params, identify, read_body

StartResponse = Callable[..., Any]
CONTROL_PREFIX = "/_gdpr/"
CLOUDFORMATION_TYPES = (QueuePolicy,)
"""Resource types moto's CloudFormation lacks, registered by their import."""
install_sqs_attributes()

_EXTENSIONS: dict[tuple[str, str], type[BaseResponse]] = {
    **{("ec2", operation): Ec2Extensions for operation in Ec2Extensions.OPERATIONS},
    **{("ssm", operation): SsmExtensions for operation in SsmExtensions.OPERATIONS},
    **{
        ("guardduty", operation): GuardDutyExtensions
        for operation in GuardDutyExtensions.OPERATIONS
    },
    **{("sts", operation): StsExtensions for operation in StsExtensions.OPERATIONS},
    **{("logs", operation): LogsExtensions for operation in LogsExtensions.OPERATIONS},
    **{
        ("guardduty", operation): GuardDutyOrganizationExtensions
        for operation in GuardDutyOrganizationExtensions.OPERATIONS
    },
    **{
        ("cloudfront", operation): CloudFrontExtensions
        for operation in CloudFrontExtensions.OPERATIONS
    },
    **{("config", operation): ConfigExtensions for operation in ConfigExtensions.OPERATIONS},
    **{("support", operation): SupportExtensions for operation in SupportExtensions.OPERATIONS},
}


class SandboxApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = Faults()
        self.calls = CallLog()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self._control(Request(environ))(environ, start_response)
        request = identify(environ, self.moto)
        if request is None:
            return self._moto(environ, start_response)
        # moto's own account lookup would scan (and build) every account's IAM backends again.
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = request.account
        self.calls.record(request)
        time.sleep(REALISM.latency(request))
        params = form_params(environ, request)
        refused = self._refused(request, params, environ)
        if refused is not None:
            return _answer(refused, environ, start_response)
        recorded = request_parameters(environ, request) if emits_event(request) else None
        extension = _EXTENSIONS.get((request.service, request.operation))
        if extension is None:
            return self._moto_noting(request, params, recorded, environ, start_response)
        served = ServerRequest(environ)
        answer = extension.dispatch(served, served.raw_url, dict(served.headers))
        if recorded is not None and 200 <= answer[0] < 300:
            body = answer[2]
            emit(request, recorded, body.encode() if isinstance(body, str) else body)
        return _answer(answer, environ, start_response)

    def _refused(
        self, request: AwsRequest, params: dict[str, str], environ: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The error this request gets before anything answers it: expired credentials, a
        fault rule, or (realistic profile) its API's bucket out of tokens or its caller's
        IAM policies not allowing it."""
        if request.access_key in EXPIRED_SESSIONS:
            return error_response(request, Fault.EXPIRED_TOKEN)
        rule = self.faults.draw(request)
        if rule is not None:
            time.sleep(rule.latency_ms / 1000)
            if rule.fault is not Fault.LATENCY:
                return error_response(request, rule.fault)
        if not REALISM.admitted(request, params):
            return error_response(request, Fault.THROTTLE)
        if REALISM.profile.iam:
            return _iam_refused(request, params, environ)
        return None

    def _moto_noting(
        self,
        request: AwsRequest,
        params: dict[str, str],
        recorded: dict[str, Any] | None,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """moto's answer; what it made is noted for the realistic profile's propagation, and
        a write's event (`recorded`: its parameters) goes to EventBridge."""
        answered: list[str] = []

        def noting_status(status: str, *args: Any) -> Any:
            answered.append(status)
            return start_response(status, *args)

        answer = self._moto(environ, noting_status)
        if answered and answered[0].startswith("2"):
            _note_made(request, params)
            if recorded is not None:
                answer = [b"".join(answer)]
                emit(request, recorded, answer[0])
        return answer

    def _moto(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answer: Iterable[bytes] = self.moto(environ, start_response)
        return answer

    def reset(self) -> None:
        """Forget everything: moto's state, the extensions', faults and call counts."""
        moto_api_backend.reset()
        ASSOCIATIONS.reset()
        ASSOCIATION_HOLDS.reset()
        FINDINGS.reset()
        EXPIRED_SESSIONS.reset()
        EVALUATIONS.reset()
        SUPPORT_PLANS.reset()
        REALISM.reset()
        self.faults.clear()
        self.calls.clear()

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        handlers: dict[tuple[str, str], Callable[[Request], tuple[Any, int]]] = {
            ("GET", "faults"): lambda _: (
                {"faults": [rule.to_json() for rule in self.faults.rules()]},
                200,
            ),
            ("POST", "faults"): self._add_fault,
            ("DELETE", "faults"): _doing(self.faults.clear),
            ("GET", "calls"): lambda request: (
                {"calls": self.calls.to_json(_since(request))},
                200,
            ),
            ("DELETE", "calls"): _doing(self.calls.clear),
            ("POST", "guardduty/findings"): _seed_findings,
            ("POST", "sqs/messages"): _deliver_messages,
            ("GET", "ec2/association-state"): lambda _: (
                {"holds": ASSOCIATION_HOLDS.to_json()},
                200,
            ),
            ("POST", "ec2/association-state"): _hold_association,
            ("DELETE", "ec2/association-state"): _doing(ASSOCIATION_HOLDS.clear),
            ("POST", "sts/expire-sessions"): _expire_sessions,
            ("POST", "config/evaluations"): _put_evaluations,
            ("POST", "support/plan"): _set_support_plan,
            ("POST", "agents/tick"): lambda _: (
                {"shipments": [shipment.to_json() for shipment in simulate_once()]},
                200,
            ),
            ("POST", "ssm/apply"): lambda _: (
                {"runs": [run.to_json() for run in apply_associations()]},
                200,
            ),
            ("GET", "ssm/associations"): _list_associations,
            ("POST", "ssm/failed-runs"): _record_failed_run,
            ("POST", "reset"): _doing(self.reset),
            ("GET", "profile"): lambda _: ({"profile": REALISM.profile.to_json()}, 200),
        }
        handler = handlers.get(route)
        if handler is None:
            return _json({"error": f"no such sandbox endpoint: {route[0]} {route[1]}"}, 404)
        try:
            body, status = handler(request)
        except (KeyError, TypeError, ValueError, ApiError) as error:
            return _json({"error": str(error)}, 400)
        return _json(body, status)

    def _add_fault(self, request: Request) -> tuple[Any, int]:
        rule = FaultRule.from_json(request.get_json(force=True))
        self.faults.add(rule)
        return rule.to_json(), 201


def _since(request: Request) -> float | None:
    since = request.args.get("since")
    return None if since is None else float(since)


def _doing(action: Callable[[], None]) -> Callable[[Request], tuple[Any, int]]:
    def handler(_: Request) -> tuple[Any, int]:
        action()
        return {}, 200

    return handler


def _seed_findings(request: Request) -> tuple[Any, int]:
    seed = request.get_json(force=True)
    added = FINDINGS.create(
        seed["account"], seed["region"], seed["findings"], seed.get("detectorId")
    )
    deliver_findings(seed["account"], seed["region"], [f.to_api() for f in added])
    return {"findingIds": [f.id for f in added]}, 201


def _deliver_messages(request: Request) -> tuple[Any, int]:
    body = request.get_json(force=True)
    ids = deliver_messages(
        str(body["account"]), str(body["region"]), str(body["queue"]), list(body["bodies"])
    )
    return {"messageIds": ids}, 201


def _expire_sessions(request: Request) -> tuple[Any, int]:
    return {"expired": EXPIRED_SESSIONS.expire(str(request.get_json(force=True)["account"]))}, 200


def _put_evaluations(request: Request) -> tuple[Any, int]:
    body = request.get_json(force=True)
    arn = EVALUATIONS.put(
        str(body["account"]), str(body["region"]), str(body["rule"]), body["evaluations"]
    )
    return {"configRuleArn": arn}, 201


def _set_support_plan(request: Request) -> tuple[Any, int]:
    body = request.get_json(force=True)
    SUPPORT_PLANS.set(str(body["account"]), str(body["plan"]))
    return {"account": str(body["account"]), "plan": str(body["plan"])}, 200


def _list_associations(request: Request) -> tuple[Any, int]:
    account, region = request.args.get("account"), request.args.get("region")
    if not account or not region:
        raise ValueError("account and region are required")
    associations = list(ASSOCIATIONS.of(account, region).values())
    return {"associations": [association.to_json() for association in associations]}, 200


def _record_failed_run(request: Request) -> tuple[Any, int]:
    body = _fields(request, {"account", "region", "associationId", "instanceId"})
    execution = record_failed_run(
        str(body["account"]),
        str(body["region"]),
        str(body["associationId"]),
        str(body["instanceId"]),
    )
    return execution.to_json(), 201


def _fields(request: Request, names: set[str]) -> dict[str, Any]:
    """The request's JSON object, which must hold exactly the fields `names`."""
    body = request.get_json(force=True)
    if not isinstance(body, dict):
        raise ValueError("a JSON object is required")
    unknown, missing = set(body) - names, names - set(body)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if missing:
        raise ValueError(f"missing fields: {sorted(missing)}")
    return body


def _hold_association(request: Request) -> tuple[Any, int]:
    body = request.get_json(force=True)
    unknown = set(body) - {"account", "region", "instanceId", "state", "reads"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    reads = body.get("reads")
    hold = ASSOCIATION_HOLDS.hold(
        str(body["account"]),
        str(body["region"]),
        str(body["instanceId"]),
        str(body["state"]),
        None if reads is None else int(reads),
    )
    return hold, 201


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, {"Content-Type": "application/json"})


def _answer(
    answer: tuple[int, dict[str, str], bytes | str],
    environ: dict[str, Any],
    start_response: StartResponse,
) -> Iterable[bytes]:
    status, headers, body = answer
    return Response(body, status, headers)(environ, start_response)


def _iam_refused(
    request: AwsRequest, params: dict[str, str], environ: dict[str, Any]
) -> tuple[int, dict[str, str], bytes] | None:
    body = {} if request.protocol in ("query", "ec2") else parsed_body(read_body(environ))
    call = Call(request, params, body, environ.get("PATH_INFO", ""))
    refused = refusal(call)
    if refused is None:
        return None
    needed = refused.authorization
    explicit = refused.decision is Decision.EXPLICIT_DENY
    return denied_response(request, needed.action, needed.resource, explicit)


_MAKES = {
    "CreateRole": ("role", "RoleName"),
    "CreateInstanceProfile": ("instance-profile", "InstanceProfileName"),
    "AddRoleToInstanceProfile": ("instance-profile", "InstanceProfileName"),
}
"""IAM requests whose result AWS shows elsewhere only after a while (`_profile`)."""


def _note_made(request: AwsRequest, params: dict[str, str]) -> None:
    made = _MAKES.get(request.operation) if request.service == "iam" else None
    if made is not None and made[1] in params:
        REALISM.made(made[0], request.account, params[made[1]])
