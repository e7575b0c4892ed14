"""The layer's entry point: `Aws`, which makes calls for reconcilers."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from . import _regions
from ._clients import ClientCache
from ._concurrency import Limits
from ._errors import AccountMismatchError, AwsError, classify, credentials_expired
from ._iam_actions import iam_action, iam_action_for, operation_name
from ._pages import paging
from ._rates import RateLimits
from ._retries import RetryPolicy
from ._sessions import Sessions
from ._targets import AccountAccess, AwsSettings, Target

T = TypeVar("T")

CallObserver = Callable[[str, str, str], None]
"""Told of each AWS API call a layer makes: (service, operation, IAM action), as in
("guardduty", "ListDetectors", "guardduty:ListDetectors")."""

_OWN_IDENTITY = "own-identity"
"""The rate limits' key for the operator's own account, whose id they need not know."""

LAYER_IAM_ACTIONS = frozenset({"sts:AssumeRole", "sts:GetCallerIdentity", "ec2:DescribeRegions"})
"""The IAM actions the layer calls on its own, whatever the reconcilers: AssumeRole for an
account's credentials, GetCallerIdentity to learn whom they name, DescribeRegions for the
regions of ["*"]."""


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    """Whom an account's credentials name, as STS GetCallerIdentity answers."""

    account_id: str
    arn: str


_WHO_AM_I = ("sts", "get_caller_identity")


class _Attempt(threading.local):
    """What a worker thread's current attempt is."""

    repeating = False
    """Set while it makes another attempt at a call observers were told of."""
    abandoned: threading.Event | None = None
    """Its call's, set once the caller gave the call up (its pass was cancelled)."""


_attempting = _Attempt()


def _still_wanted() -> bool:
    """Whether the call this worker thread makes still has a caller waiting for it."""
    abandoned = _attempting.abandoned
    return abandoned is None or not abandoned.is_set()


class Aws:
    """Calls AWS on behalf of reconcilers, off the event loop and within limits.

    Make one per event loop (its semaphores belong to the loop) and close it when done;
    `async with Aws() as aws:` does both.
    """

    def __init__(self, settings: AwsSettings | None = None) -> None:
        self.settings = settings or AwsSettings()
        self._observers: tuple[CallObserver, ...] = ()
        self._sessions = Sessions(self.settings, on_call=self._observed, still_wanted=_still_wanted)
        self._rates = RateLimits()
        self._clients = ClientCache(
            self._sessions, self.settings.client_capacity, before_assume=self._pace_assume_role
        )
        self._limits = Limits(
            self.settings.max_concurrency, self.settings.per_account_service_concurrency
        )
        self._retries = RetryPolicy(self.settings.max_attempts, self.settings.throttle_patience)
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.max_concurrency, thread_name_prefix="gdpr-aws"
        )
        self._own_identity: CallerIdentity | None = None
        self._own_identity_lock = asyncio.Lock()
        self.target_turns = asyncio.Semaphore(self.settings.targets_in_flight)
        """Turns for `gather_outcomes` shared by all its users on this layer: many passes
        started together then take turns and finish one after another, instead of all
        waiting on the same call slots until every target's timeout passes."""

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        """Call `operation` (a boto3 method name, e.g. "list_detectors") of `service`
        (a boto3 service name) in `target`; returns the parsed response.

        Raises an AwsError subclass (see the module docstring) when the call fails.
        """
        return await self._run(
            target, service, operation, params, lambda client: getattr(client, operation)(**params)
        )

    async def paginate(
        self, target: Target, service: str, operation: str, **params: Any
    ) -> AsyncIterator[Any]:
        """Pages of a paginated operation, fetched one by one as they are consumed; each
        page is a call of its own, retried on its own. `PaginationConfig` may set
        `PageSize`."""
        pages = paging(service, operation)
        request: dict[str, Any] | None = pages.first(params)
        while request is not None:
            page = await self.call(target, service, operation, **request)
            yield page
            request = pages.next(request, page)

    async def regions(self, access: AccountAccess, requested: Sequence[str]) -> list[str]:
        """`requested`, or when it holds "*", every region enabled for the account."""
        if not _regions.wants_all_regions(requested):
            return list(requested)
        reply = await self.call(
            Target(access, self._sessions.home_region),
            "ec2",
            "describe_regions",
            **_regions.DESCRIBE_ENABLED_REGIONS,
        )
        return _regions.enabled_regions(reply)

    async def caller_identity(self, access: AccountAccess) -> CallerIdentity:
        """Whom `access`'s credentials name (its role assumed first, when it has one). A read
        that no IAM policy can deny."""
        reply = await self.call(
            Target(access, self._sessions.home_region), "sts", "get_caller_identity"
        )
        return CallerIdentity(account_id=str(reply["Account"]), arn=str(reply["Arn"]))

    def observe_calls(self, observer: CallObserver) -> None:
        """Tell `observer` of every API call this layer makes from now on, once per call
        (retries are not calls) and before it is sent, STS AssumeRole for an account's
        credentials included. It runs on the calling thread: it must be quick, thread-safe,
        and must not raise."""
        self._observers = (*self._observers, observer)

    @property
    def cached_clients(self) -> int:
        return len(self._clients)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> Aws:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _pace_assume_role(self) -> None:
        """Every AssumeRole is the operator's own identity calling STS in the home region,
        whichever account's role it assumes: one bucket for them all."""
        self._rates.pause(_OWN_IDENTITY, self._sessions.home_region, "sts", "AssumeRole", {})

    def _observed(self, operation: Any) -> None:
        """Sessions' hook, with botocore's OperationModel of each call (every attempt of a
        layer's call: observers hear of its first only)."""
        if _attempting.repeating:
            _attempting.repeating = False  # the call's own; an AssumeRole it needs comes next
            return
        if self._observers:
            service_model, name = operation.service_model, operation.name
            action = iam_action_for(service_model, name)
            for observer in self._observers:
                observer(service_model.service_name, name, action)

    async def _run(
        self,
        target: Target,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        use: Callable[[Any], T],
    ) -> T:
        """`use` a client of `target`'s `service` in a worker thread, within limits, tried
        again as `_retries` says; between attempts the call holds no thread and no slot.
        Each attempt first takes a token of AWS's bucket for the API (`_rates`)."""
        if target.access.role_arn is None and (service, operation) != _WHO_AM_I:
            await self._check_own_identity(target, service, operation)
        loop = asyncio.get_running_loop()
        started = loop.time()
        api = operation_name(service, operation)
        attempt = 1
        while True:
            await self._rates.acquire(target.account_id, target.region, service, api, params)
            abandoned = threading.Event()
            try:
                async with self._limits.slot(target.account, service):
                    return await loop.run_in_executor(
                        self._executor,
                        self._attempt,
                        target,
                        service,
                        operation,
                        use,
                        attempt,
                        abandoned,
                    )
            except asyncio.CancelledError:
                # The worker thread goes on, but sends nothing more for this call (it may
                # be assuming the account's role first): see `Sessions`' still_wanted.
                abandoned.set()
                raise
            except AwsError as error:
                wait = self._retries.delay(
                    error, attempt=attempt, elapsed=loop.time() - started, draw=random.random
                )
                if wait is None:
                    raise
            await asyncio.sleep(wait)
            attempt += 1

    async def _check_own_identity(self, target: Target, service: str, operation: str) -> None:
        """Without a role, a call acts wherever the operator's own identity is: refuse it
        unless that is the account `target` names. The identity is asked once per layer."""
        identity = self._own_identity
        if identity is None:  # the lock only until it is known: every call passes here
            async with self._own_identity_lock:
                if self._own_identity is None:
                    self._own_identity = await self.caller_identity(target.access)
            identity = self._own_identity
        if identity.account_id != target.account_id:
            raise AccountMismatchError(
                f"the operator's own identity {identity.arn} is in account "
                f"{identity.account_id}, not {target.account_id}: AwsAccount "
                f"{target.account} names no assumeRole, so nothing is called there",
                service=service,
                operation=operation_name(service, operation),
            )

    def _attempt(  # noqa: PLR0917 - the executor passes arguments by position only
        self,
        target: Target,
        service: str,
        operation: str,
        use: Callable[[Any], T],
        attempt: int,
        abandoned: threading.Event,
    ) -> T:
        """One attempt, in a worker thread. Temporary credentials can expire before botocore
        expects (a skewed clock, a revoked session): the account's role is then assumed anew
        and `use` tried once more at once."""
        clients = self._clients
        _attempting.repeating = attempt > 1
        _attempting.abandoned = abandoned
        try:
            client = clients.get(target.access, target.region, service)
            try:
                return use(client)
            except Exception as exc:
                if not credentials_expired(exc):
                    raise
                clients.forget(target.access, stale=client)
            _attempting.repeating = True
            return use(clients.get(target.access, target.region, service))
        except Exception as exc:
            action = iam_action(service, operation)
            raise classify(exc, service=service, operation=operation, action=action) from exc
        finally:
            _attempting.repeating = False
            _attempting.abandoned = None
