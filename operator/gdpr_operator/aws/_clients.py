"""Clients reused per (account, region, service), in a bounded LRU cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from botocore.session import Session

from ._credentials import AssumeRoleGate, account_session
from ._sessions import Sessions
from ._targets import AccountAccess

ClientKey = tuple[AccountAccess, str, str]


class ClientCache:
    """At most `capacity` clients, least recently used evicted first. Thread-safe.

    The capacity follows the concurrency actually used: a sweep over many accounts touches each
    (account, region, service) briefly, so keeping every client would only hold memory.
    Evicted clients are dropped, not closed: another thread may still be using one.
    """

    def __init__(self, sessions: Sessions, capacity: int, before_assume: AssumeRoleGate) -> None:
        if capacity < 1:
            raise ValueError("client cache capacity must be at least 1")
        self._sessions = sessions
        self._before_assume = before_assume
        self._capacity = capacity
        self._clients: OrderedDict[ClientKey, Any] = OrderedDict()
        # Keyed by account name; an AwsAccount whose access changed gets a new session.
        self._account_sessions: dict[str, tuple[AccountAccess, Session]] = {}
        self._lock = threading.Lock()

    def get(self, access: AccountAccess, region: str, service: str) -> Any:
        key = (access, region, service)
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            session = self._session(access)
        # Created outside the lock (it takes milliseconds) so cache hits are not held up.
        created = self._sessions.create_client(session, service, region)
        with self._lock:
            client = self._clients.setdefault(key, created)
            self._clients.move_to_end(key)
            if len(self._clients) > self._capacity:
                self._clients.popitem(last=False)
            return client

    def forget(self, access: AccountAccess, stale: Any) -> None:
        """Drop `access`'s session and clients, so the next `get` assumes its role anew, if
        `stale` (a client that failed) is still among them: of several threads that saw the
        same credentials expire, only the first starts over."""
        with self._lock:
            if stale not in self._clients.values():
                return
            self._account_sessions.pop(access.name, None)
            for key in [key for key in self._clients if key[0].name == access.name]:
                del self._clients[key]

    def __len__(self) -> int:
        return len(self._clients)

    def _session(self, access: AccountAccess) -> Session:
        known = self._account_sessions.get(access.name)
        if known is not None and known[0] == access:
            return known[1]
        session = account_session(self._sessions, access, self._before_assume)
        self._account_sessions[access.name] = (access, session)
        return session
