"""Leader election when the API server does not answer: a failed renewal, not a dead thread."""

from __future__ import annotations

import threading
import time

from kubernetes import client

from gdpr_operator.handlers._leadership import Lease, LeaseSettings, keep_leading

from fixtures.cluster import free_port


def _unreachable_api() -> client.CoordinationV1Api:
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    configuration.retries = 0
    return client.CoordinationV1Api(client.ApiClient(configuration))


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
