"""Drift events with an events hub (`gdpr-operator run --events-hub`), through a real API
server, in a cluster of this module's own (its operator is the only one acting): two
accounts, two regions; the member account's account-regions forward to the hub bus, the
operator polls the hub's one queue and no other, and a detector disabled by another
principal in the member account's other region is repaired within seconds, the Event naming
who did it, on the GdprMonitoring covering that region and on it alone. Restarted without
the flag, the operator removes the hub it kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gdpr_operator.aws import Aws, Target
from gdpr_operator.reconcilers.drift_events import BUS_NAME
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.cluster import (
    Kubectl,
    cluster_environment,
    install,
    new_namespace,
    running_cluster,
    wait_for,
    wait_ready,
)
from fixtures.drift_events import apply_hub_account
from fixtures.estate import apply_estate
from fixtures.operator import operator_process, running_operator
from fixtures.sandbox import new_scratch_account

pytestmark = pytest.mark.e2e

HUB_REGION, MEMBER_REGION = "eu-west-1", "eu-central-1"
REPAIR_WITHIN_SECONDS = 30.0


@pytest.fixture(scope="module")
def hub_cluster(
    sandbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Kubectl, dict[str, str], Path]]:
    directory = tmp_path_factory.mktemp("events-hub")
    env = cluster_environment(directory / "cluster")
    with running_cluster(env) as admin:
        install(admin)
        yield admin, env, directory


async def test_one_queue_is_polled_and_a_member_s_change_is_repaired_and_named(
    hub_cluster: tuple[Kubectl, dict[str, str], Path],
    sandbox_url: str,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    admin, env, directory = hub_cluster
    hub, member = new_scratch_account(), new_scratch_account()
    apply_hub_account(admin, hub)
    # Two GdprMonitorings on the member account: one covering the member region, the other
    # the hub's region only.
    covering, elsewhere = new_namespace(admin), new_namespace(admin)
    for namespace, region in ((covering, MEMBER_REGION), (elsewhere, HUB_REGION)):
        apply_estate(
            admin,
            namespace,
            member,
            drift_events="Managed",
            managementPolicy="Enforce",
            resyncInterval="1h",
            regions=[region],
        )
    process = operator_process(admin, env, sandbox_url, directory)
    process.command += ["--events-hub", f"hub/{HUB_REGION}"]
    with running_operator(process):
        for namespace in (covering, elsewhere):
            assert wait_ready(admin, namespace, "True")["DriftEvents"]["status"] == "True"
        wait_for(
            "the operator polling the hub's queue",
            lambda: sandbox.call_count("sqs", "ReceiveMessage", account=hub.account_id),
            timeout=REPAIR_WITHIN_SECONDS,
        )
        # One queue, in the hub: the member's account-regions forward to the hub bus.
        assert sandbox.call_count("sqs", "ReceiveMessage", account=member.account_id) == 0
        for region in (HUB_REGION, MEMBER_REGION):
            queues = await layer.call(Target(member, region), "sqs", "list_queues")
            assert queues.get("QueueUrls", []) == []
            listed = await layer.call(
                Target(member, region),
                "events",
                "list_targets_by_rule",
                Rule="gdpr-operator-drift-events",
            )
            (forward,) = listed["Targets"]
            assert forward["Arn"] == (
                f"arn:aws:events:{HUB_REGION}:{hub.account_id}:event-bus/gdpr-operator-drift-events"
            )

        target = Target(member, MEMBER_REGION)
        (detector_id,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
        alice = Target(other_principal(member.account_id, "alice"), MEMBER_REGION)
        changed = time.monotonic()
        await layer.call(
            alice, "guardduty", "update_detector", DetectorId=detector_id, Enable=False
        )

        def drift_event(namespace: str) -> dict[str, str] | None:
            return next(
                (e for e in admin.events(namespace, "web") if e["reason"] == "DriftDetected"),
                None,
            )

        event = wait_for(
            "the DriftDetected Event", lambda: drift_event(covering), timeout=REPAIR_WITHIN_SECONDS
        )
        assert time.monotonic() - changed < REPAIR_WITHIN_SECONDS
        detector = await layer.call(target, "guardduty", "get_detector", DetectorId=detector_id)
        assert detector["Status"] == "ENABLED"
        assert f"arn:aws:sts::{member.account_id}:assumed-role/Admin/alice" in event["message"]
        assert f"in {covering}/{MEMBER_REGION}" in event["message"]
        assert drift_event(elsewhere) is None


async def test_restarted_without_the_flag_the_operator_releases_the_hub_it_kept(
    hub_cluster: tuple[Kubectl, dict[str, str], Path],
    sandbox_url: str,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    admin, env, directory = hub_cluster
    hub, name = new_scratch_account(), "leaving-hub"
    target = Target(hub, HUB_REGION)
    apply_hub_account(admin, hub, name)

    def region_recorded() -> str | None:
        region: str | None = admin.get("awsaccount", name).get("status", {}).get("eventsHubRegion")
        return region

    async def buses() -> list[str]:
        listed = (await layer.call(target, "events", "list_event_buses"))["EventBuses"]
        return [bus["Name"] for bus in listed]

    process = operator_process(admin, env, sandbox_url, directory)
    process.command += ["--events-hub", f"{name}/{HUB_REGION}"]
    with running_operator(process):
        wait_for(
            "the hub's queue, polled",
            lambda: sandbox.call_count("sqs", "ReceiveMessage", account=hub.account_id),
            timeout=REPAIR_WITHIN_SECONDS,
        )
        assert region_recorded() == HUB_REGION
    assert await buses() == ["default", BUS_NAME]
    assert (await layer.call(target, "sqs", "list_queues"))["QueueUrls"]

    process = operator_process(admin, env, sandbox_url, directory)  # no --events-hub now
    with running_operator(process):
        (released,) = wait_for(
            "the EventsHubReleased Event",
            lambda: [e for e in admin.account_events(name) if e["reason"] == "EventsHubReleased"],
            timeout=REPAIR_WITHIN_SECONDS,
        )
        wait_for(
            "status.eventsHubRegion cleared",
            lambda: region_recorded() is None,
            timeout=REPAIR_WITHIN_SECONDS,
        )
    assert released["type"] == "Normal"
    assert f"EventBridge bus {BUS_NAME} in {name}/{HUB_REGION}" in released["message"]
    assert not [e for e in admin.account_events(name) if e["reason"] == "EventsHubReleaseFailed"]
    assert await buses() == ["default"]
    assert (await layer.call(target, "sqs", "list_queues")).get("QueueUrls", []) == []
