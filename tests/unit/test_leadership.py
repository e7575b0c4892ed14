"""Leader election when the API server does not answer: a failed renewal, not a dead thread;
and Lease calls made once each, never retried by the client."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3
from kubernetes import client

from gdpr_operator.handlers._leadership import Lease, LeaseSettings, keep_leading, lease_api

from fixtures.cluster import free_port


def _unreachable_api() -> client.CoordinationV1Api:
    return lease_api(client.Configuration(host=f"http://127.0.0.1:{free_port()}"))


def test_a_lease_call_is_sent_once_though_it_got_no_answer() -> None:
    """Retried, a renewal that reached the API server meets its own write as a conflict (the
    replica would take its Lease for lost), and a cut-off replica learns it four timeouts
    late."""
    requests: list[str] = []

    class HangsUp(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            requests.append(self.path)
            self.close_connection = True  # no answer: the connection just closes

    with ThreadingHTTPServer(("127.0.0.1", 0), HangsUp) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        api = lease_api(client.Configuration(host=f"http://127.0.0.1:{server.server_port}"))
        with pytest.raises(urllib3.exceptions.HTTPError):
            api.replace_namespaced_lease("me", "ns", client.V1Lease(), _request_timeout=5)
        server.shutdown()
    assert requests == ["/apis/coordination.k8s.io/v1/namespaces/ns/leases/me"]


def test_a_leader_that_cannot_reach_the_api_server_stops_within_its_renew_deadline() -> None:
    settings = LeaseSettings(
        "gdpr-system",
        "me",
        duration_seconds=3,
        renew_deadline_seconds=1.0,
        renew_every_seconds=0.2,
        request_timeout_seconds=0.5,
    )
    lost = threading.Event()
    started = time.monotonic()
    renewing = keep_leading(Lease(settings, _unreachable_api()), on_lost=lost.set)

    assert lost.wait(timeout=5), "connection errors must end in on_lost, not kill the thread"
    assert time.monotonic() - started < settings.duration_seconds
    renewing.join(timeout=1)
    assert not renewing.is_alive()
