"""The events hub's health: the EventsHub condition of what an upkeep found, written on the
hub's AwsAccount only when it says something new (an Event on each transition) and kept by
the account's own checks; the gauge exported by the one replica that polls the hub."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY

from gdpr_operator import engine
from gdpr_operator.aws import Aws, CallerIdentity
from gdpr_operator.engine import AccountCheck, HubUpkeep
from gdpr_operator.handlers._accounts import AccountChecks
from gdpr_operator.handlers._drift_events import DriftEventConsumer, DriftInbox
from gdpr_operator.model import Action, CheckResult, EventsHub
from gdpr_operator.report import Condition, hub_condition, receive_failed_condition

from fixtures.accounts import ACCOUNT_ID, FakeAccountApi, account_checks, notice_account

HUB = EventsHub("hub", "eu-west-1")


def _result(compliant: bool, reason: str, action: Action = Action.NONE) -> CheckResult:
    return CheckResult("events.hub", ACCOUNT_ID, HUB.region, "bus", compliant, reason, action)


def test_the_condition_names_what_differs_and_what_was_repaired() -> None:
    in_place = hub_condition(HubUpkeep(results=(_result(True, "compliant"),)))
    assert (in_place.status, in_place.reason) == ("True", "HubInPlace")
    missing_target = "rule gdpr-operator-drift-events does not target queue gdpr-operator-drift"
    repaired = hub_condition(
        HubUpkeep(results=(_result(False, missing_target, Action.REMEDIATED),))
    )
    assert (repaired.status, repaired.reason) == ("True", "HubRepaired")
    assert missing_target in repaired.message
    failed = f"{missing_target}; repair failed: AccessDenied: not allowed"
    broken = hub_condition(HubUpkeep(results=(_result(False, failed, Action.FAILED),)))
    assert (broken.status, broken.reason, broken.message) == ("False", "HubNotAsDeclared", failed)
    unavailable = hub_condition(HubUpkeep(error="hub/eu-west-1: AccessDenied: AssumeRole"))
    assert (unavailable.status, unavailable.reason) == ("False", "HubUnavailable")
    assert "AssumeRole" in unavailable.message
    unread = receive_failed_condition("AWS.SimpleQueueService.NonExistentQueue")
    assert (unread.status, unread.reason) == ("False", "ReceiveFailed")
    assert "NonExistentQueue" in unread.message


def _checks(api: FakeAccountApi, owned: set[str] | None = None) -> AccountChecks:
    checks = account_checks(api, owns=lambda uid: owned is None or uid in owned, events_hub=HUB)
    notice_account(checks, "hub")
    return checks


def _types(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {condition["type"]: condition for condition in status["conditions"]}


async def test_the_condition_is_written_when_it_changes_with_an_event_per_transition() -> None:
    api = FakeAccountApi()
    checks = _checks(api)
    healthy = Condition("EventsHub", "True", "HubInPlace", "as declared")
    await checks.report_hub("hub", healthy)
    await checks.report_hub("hub", healthy)  # nothing new: nothing written
    assert len(api.statuses) == 1
    assert [(e.type, e.reason) for e in api.events] == [("Normal", "HubInPlace")]
    broken = Condition("EventsHub", "False", "HubNotAsDeclared", "rule ... does not target")
    await checks.report_hub("hub", broken)
    (written,) = api.statuses[1]["conditions"]
    assert (written["status"], written["message"]) == ("False", "rule ... does not target")
    assert api.events[-1].type == "Warning"
    assert api.events[-1].message == "EventsHub True -> False: rule ... does not target"


async def test_the_accounts_own_check_keeps_the_hub_condition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeAccountApi()
    checks = _checks(api)
    await checks.report_hub("hub", Condition("EventsHub", "False", "ReceiveFailed", "gone"))

    async def reached(*_: object) -> AccountCheck:
        return AccountCheck(identity=CallerIdentity(ACCOUNT_ID, "arn:aws:iam::1:role/op"))

    monkeypatch.setattr(engine, "check_account", reached)
    await checks._tick()  # the check is due: the account is new
    await asyncio.gather(*checks._checking.values())
    conditions = _types(api.statuses[-1])
    assert conditions["Ready"]["status"] == "True"
    assert conditions["EventsHub"]["reason"] == "ReceiveFailed"


async def test_another_replicas_hub_is_neither_polled_nor_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_upkeep(*_: object) -> HubUpkeep:
        raise AssertionError("only the hub account's owner keeps the hub")

    monkeypatch.setattr(engine, "keep_hub", no_upkeep)
    api = FakeAccountApi()
    consumer = DriftEventConsumer(
        aws=Aws(),
        read_external_id=cast(Any, None),
        inbox=DriftInbox(),
        accounts=dict,
        monitorings=dict,
        waker=cast(Any, None),
        hub=HUB,
        hub_status=_checks(api, owned={"someone else's"}),
    )
    await consumer._report_hub(HUB, Condition("EventsHub", "True", "HubInPlace", "ok"))
    labels = {"account": "hub", "region": HUB.region}
    assert REGISTRY.get_sample_value("gdpr_events_hub_healthy", labels) == 1
    assert api.statuses == []  # the account's status is its owner's to write
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert REGISTRY.get_sample_value("gdpr_events_hub_healthy", labels) is None


async def test_the_polling_replica_exports_what_its_upkeep_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def unavailable(*_: object) -> HubUpkeep:
        return HubUpkeep(error="the events hub's AwsAccount hub is not known")

    monkeypatch.setattr(engine, "keep_hub", unavailable)
    api = FakeAccountApi()
    checks = _checks(api)
    consumer = DriftEventConsumer(
        aws=Aws(),
        read_external_id=cast(Any, None),
        inbox=DriftInbox(),
        accounts=dict,  # not in the index yet: the poller waits for it
        monitorings=dict,
        waker=cast(Any, None),
        hub=HUB,
        hub_status=checks,
    )
    task = asyncio.create_task(consumer.run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    labels = {"account": "hub", "region": HUB.region}
    assert REGISTRY.get_sample_value("gdpr_events_hub_healthy", labels) == 0
    (written,) = api.statuses[0]["conditions"]
    assert (written["type"], written["reason"]) == ("EventsHub", "HubUnavailable")
