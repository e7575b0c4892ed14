"""botocore sessions that share models and client classes, parse timestamps fast, and count
(and at debug level, log) every HTTP attempt."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver
from botocore.session import Session

from . import _metrics
from ._errors import THROTTLING_CODES
from ._shared_models import shared_loader
from ._targets import AwsSettings
from ._timestamps import fast_parse_timestamp

_FALLBACK_REGION = "us-east-1"

logger = logging.getLogger(__name__)


class Sessions:
    """Makes botocore sessions and clients; one instance per layer. Thread-safe.

    `on_call`, when given, is handed botocore's OperationModel of every API call that clients
    of these sessions make (STS AssumeRole for credentials included), once per call.
    `still_wanted`, when given, is asked before each HTTP request is sent: when it says no,
    the request is not sent and the call raises `CallAbandonedError`. A call's worker thread
    can still be on its way (assuming the account's role first) when its caller gives it up.
    """

    def __init__(
        self,
        settings: AwsSettings,
        on_call: Callable[[Any], None] | None = None,
        still_wanted: Callable[[], bool] | None = None,
    ) -> None:
        self._on_call = on_call
        self._still_wanted = still_wanted
        # botocore sessions are not thread-safe; creating clients is serialised through this.
        self._lock = threading.Lock()
        self.config = Config(
            # One attempt: the layer retries (see `_retries`).
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=settings.per_account_service_concurrency,
            user_agent_appid="gdpr-operator",
        )
        self._endpoint_url = settings.endpoint_url
        self.base = self.new_session()
        """The operator's own identity: botocore's default credential chain."""
        if settings.static_credentials is not None:
            self.base.set_credentials(*settings.static_credentials)
        self.home_region: str = (
            settings.sts_region or self.base.get_config_variable("region") or _FALLBACK_REGION
        )
        """Region for STS and for discovering an account's regions."""

    def new_session(self, credentials: Any = None) -> Session:
        """A session on the shared loader; with `credentials`, it uses those only."""
        session = Session()
        session.register_component("data_loader", shared_loader())
        session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=fast_parse_timestamp
        )
        session.register("needs-retry", _count_attempt)
        if self._on_call is not None:
            session.register("before-call", partial(_before_call, self._on_call))
        if self._still_wanted is not None:
            session.register("before-send", partial(_send_if_wanted, self._still_wanted))
        if credentials is not None:
            session.register_component(
                "credential_provider", CredentialResolver([_Given(credentials)])
            )
        return session

    def create_client(self, session: Session, service: str, region: str, **kwargs: Any) -> Any:
        with self._lock:
            return session.create_client(
                service,
                region_name=region,
                config=self.config,
                endpoint_url=self._endpoint_url,
                **kwargs,
            )

    def base_credentials(self) -> Any:
        """The operator's own credentials (None when the chain finds none)."""
        with self._lock:
            return self.base.get_credentials()

    def sts_client_creator(self) -> Any:
        """A `Session.create_client`-like callable for STS in the home region (AssumeRole)."""
        return partial(self.create_client, self.base, region=self.home_region)


class _Given(CredentialProvider):  # type: ignore[misc]
    """Hands a ready credentials object (an assumed role's) to a session."""

    METHOD = "gdpr-operator-assume-role"

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


class CallAbandonedError(Exception):
    """A call given up by its caller before its worker thread sent it: nothing was sent."""


def _send_if_wanted(still_wanted: Callable[[], bool], **_: Any) -> None:
    """botocore 'before-send' hook, before each HTTP request. Returns None: a value would
    stand in for the response."""
    if not still_wanted():
        raise CallAbandonedError("its caller gave the call up before it was sent")


def _count_attempt(
    response: tuple[Any, dict[str, Any]] | None,
    operation: Any,
    attempts: int = 0,
    caught_exception: Exception | None = None,
    request_dict: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    """botocore 'needs-retry' hook: runs once per HTTP attempt, retries included.

    The debug line names the call and how it ended, never its parameters, headers or body:
    those carry ExternalIds, signatures and, in STS's answer, an assumed session's keys
    (which is why botocore's own wire log is never shown; see the CLI's logging)."""
    if isinstance(caught_exception, CallAbandonedError):
        return  # nothing was sent
    service = operation.service_model.service_name
    _metrics.AWS_API_CALLS.labels(
        service=service, operation=operation.name, outcome=_outcome(response)
    ).inc()
    if logger.isEnabledFor(logging.DEBUG):
        region = ((request_dict or {}).get("context") or {}).get("client_region")
        logger.debug(
            "%s:%s in %s, attempt %d: %s",
            service,
            operation.name,
            region,
            attempts,
            _ending(response, caught_exception),
        )


def _before_call(on_call: Callable[[Any], None], model: Any, **_: Any) -> None:
    """botocore 'before-call' hook: once per API call (retries are not calls), before it is
    sent. Returns None: a value would stand in for the call's response."""
    on_call(model)


def _ending(response: tuple[Any, dict[str, Any]] | None, exception: Exception | None) -> str:
    if response is None:
        return type(exception).__name__ if exception is not None else "no response"
    http_response, parsed = response
    code = parsed.get("Error", {}).get("Code")
    return f"HTTP {http_response.status_code}" + (f" {code}" if code else "")


def _outcome(response: tuple[Any, dict[str, Any]] | None) -> str:
    if response is None:  # no HTTP response: connection error, timeout
        return _metrics.ERROR
    http_response, parsed = response
    status = int(http_response.status_code)
    if status < 300:
        return _metrics.SUCCESS
    if status == 429 or parsed.get("Error", {}).get("Code") in THROTTLING_CODES:
        return _metrics.THROTTLED
    return _metrics.ERROR
