"""Releasing the events hub the operator kept: which hub an AwsAccount's status records
(`eventsHubRegion`) and when that one is stale, what the status and the Event say of its
release, and the account's checker releasing it once, keeping the field while it fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from gdpr_operator import engine
from gdpr_operator.aws import CallerIdentity
from gdpr_operator.engine import AccountCheck, PlumbingRelease
from gdpr_operator.handlers._accounts import AccountChecks
from gdpr_operator.model import AwsAccountSpec, EventsHub, parse_aws_account
from gdpr_operator.report import EVENTS_HUB_REGION, hub_event, hub_status

from fixtures.accounts import ACCOUNT_ID, FakeAccountApi, account_checks, notice_account
from fixtures.clock import FakeClock

HUB_REGION = "eu-west-1"


def _account(mode: str = "Managed") -> AwsAccountSpec:
    return parse_aws_account(
        "hub", {"accountId": ACCOUNT_ID, "allowedNamespaces": [], "events": {"mode": mode}}
    )


@pytest.mark.parametrize(
    ("mode", "recorded", "hub", "stale", "kept"),
    [
        pytest.param("Managed", HUB_REGION, None, HUB_REGION, None, id="flag-removed"),
        pytest.param(
            "Managed", HUB_REGION, EventsHub("other", HUB_REGION), HUB_REGION, None, id="account"
        ),
        pytest.param(
            "Managed",
            HUB_REGION,
            EventsHub("hub", "eu-central-1"),
            HUB_REGION,
            "eu-central-1",
            id="region",
        ),
        pytest.param(
            "Managed", HUB_REGION, EventsHub("hub", HUB_REGION), None, HUB_REGION, id="unchanged"
        ),
        pytest.param(
            "Managed", None, EventsHub("hub", HUB_REGION), None, HUB_REGION, id="not-recorded-yet"
        ),
        pytest.param("Managed", None, None, None, None, id="never-a-hub"),
        # keep_hub makes nothing outside Managed: nothing newly recorded. Off withdraws the
        # admin's consent, so the hub still named here goes too; under External the
        # operator writes nothing in the account, so what it kept stays recorded.
        pytest.param(
            "Off", HUB_REGION, EventsHub("hub", HUB_REGION), HUB_REGION, None, id="off-hub"
        ),
        pytest.param("Off", HUB_REGION, None, HUB_REGION, None, id="off-flag-removed"),
        pytest.param("External", None, EventsHub("hub", HUB_REGION), None, None, id="external"),
        pytest.param("External", HUB_REGION, None, None, None, id="external-flag-removed-no-write"),
    ],
)
def test_the_recorded_hub_is_stale_once_the_installation_s_hub_is_elsewhere(
    mode: str, recorded: str | None, hub: EventsHub | None, stale: str | None, kept: str | None
) -> None:
    account = _account(mode)
    assert engine.stale_hub(account, recorded, hub) == stale
    assert engine.kept_hub_region(account, hub) == kept


def test_the_field_is_cleared_only_once_the_release_succeeded() -> None:
    done = PlumbingRelease(released=("EventBridge bus b in hub/eu-west-1",), regions=(HUB_REGION,))
    failed = PlumbingRelease(errors=("hub/eu-west-1: AccessDenied",), regions=(HUB_REGION,))
    assert hub_status(HUB_REGION, None, done) == {EVENTS_HUB_REGION: None}
    assert hub_status(HUB_REGION, "eu-central-1", done) == {EVENTS_HUB_REGION: "eu-central-1"}
    assert hub_status(HUB_REGION, None, failed) == {EVENTS_HUB_REGION: HUB_REGION}
    assert hub_status(HUB_REGION, "eu-central-1", failed) == {EVENTS_HUB_REGION: HUB_REGION}
    # No release: the hub kept now, else what was recorded stays.
    assert hub_status(None, HUB_REGION, None) == {EVENTS_HUB_REGION: HUB_REGION}
    assert hub_status(HUB_REGION, None, None) == {EVENTS_HUB_REGION: HUB_REGION}
    assert hub_status(None, None, None) == {EVENTS_HUB_REGION: None}


def test_the_release_is_one_event_naming_what_went_or_what_stopped_it() -> None:
    removed = ("EventBridge bus b in hub/eu-west-1", "SQS queue q in hub/eu-west-1")
    done = hub_event(PlumbingRelease(released=removed, regions=(HUB_REGION,)))
    assert (done.type, done.reason) == ("Normal", "EventsHubReleased")
    assert done.message == (
        "the operator no longer keeps the events hub in eu-west-1: "
        "EventBridge bus b in hub/eu-west-1; SQS queue q in hub/eu-west-1"
    )
    nothing = hub_event(PlumbingRelease(regions=(HUB_REGION,)))
    assert (nothing.type, nothing.reason) == ("Normal", "EventsHubReleased")
    assert nothing.message.endswith("none of the operator's plumbing was left")
    failed = hub_event(
        PlumbingRelease(
            errors=("hub/eu-west-1: AccessDenied: DeleteEventBus",), regions=("eu-west-1",)
        )
    )
    assert (failed.type, failed.reason) == ("Warning", "EventsHubReleaseFailed")
    assert "hub/eu-west-1: AccessDenied: DeleteEventBus" in failed.message
    assert "retried at the next check" in failed.message


@dataclass
class FakeRelease:
    """engine.release_hub, answering each call with the next of `answers`."""

    answers: list[PlumbingRelease]
    calls: list[tuple[str, str]] = field(default_factory=list)
    guards: list[Callable[[], bool]] = field(default_factory=list)

    async def __call__(
        self, account: AwsAccountSpec, region: str, *_: object, unchanged: Callable[[], bool]
    ) -> PlumbingRelease:
        self.calls.append((account.name, region))
        self.guards.append(unchanged)
        return self.answers.pop(0)


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> None:
    async def check(*_: object) -> AccountCheck:
        return AccountCheck(identity=CallerIdentity(ACCOUNT_ID, "arn:aws:iam::1:role/op"))

    monkeypatch.setattr(engine, "check_account", check)


async def _check_when_due(checks: AccountChecks, clock: FakeClock) -> None:
    clock.advance(1000.0)  # beyond any interval or backoff
    await checks._tick()
    await asyncio.gather(*checks._checking.values())


def _hub_events(api: FakeAccountApi) -> list[tuple[str, str]]:
    return [(e.type, e.reason) for e in api.events if e.reason.startswith("EventsHub")]


@pytest.mark.usefixtures("reached")
async def test_the_checker_releases_a_stale_hub_and_keeps_the_field_while_that_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = PlumbingRelease(
        released=(f"EventBridge bus gdpr-operator-drift-events in hub/{HUB_REGION}",),
        regions=(HUB_REGION,),
    )
    failed = PlumbingRelease(errors=(f"hub/{HUB_REGION}: AccessDenied",), regions=(HUB_REGION,))
    release = FakeRelease([failed, released])
    monkeypatch.setattr(engine, "release_hub", release)
    api, clock = FakeAccountApi(), FakeClock()
    checks = account_checks(api, clock=clock)  # restarted without --events-hub
    notice_account(checks, "hub", status={EVENTS_HUB_REGION: HUB_REGION})

    await _check_when_due(checks, clock)
    assert release.calls == [("hub", HUB_REGION)]
    assert release.guards[0]()  # the account is as the checker found it
    assert api.statuses[-1][EVENTS_HUB_REGION] == HUB_REGION
    (ready,) = [c for c in api.statuses[-1]["conditions"] if c["type"] == "Ready"]
    assert ready["status"] == "True"  # the account is fine; its hub's release is not
    assert _hub_events(api) == [("Warning", "EventsHubReleaseFailed")]
    assert "AccessDenied" in api.events[-1].message

    await _check_when_due(checks, clock)  # the retry
    assert release.calls == [("hub", HUB_REGION)] * 2
    assert api.statuses[-1][EVENTS_HUB_REGION] is None  # a merge patch's None: removed
    assert _hub_events(api)[1:] == [("Normal", "EventsHubReleased")]
    assert "EventBridge bus gdpr-operator-drift-events" in api.events[-1].message

    await _check_when_due(checks, clock)  # released: no call any more
    assert len(release.calls) == 2
    assert len(_hub_events(api)) == 2

    notice_account(checks, "hub", generation=2)  # changed: a release under way writes no more
    assert not release.guards[-1]()


@pytest.mark.usefixtures("reached")
async def test_the_installation_s_hub_is_recorded_and_not_released(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = FakeRelease([])
    monkeypatch.setattr(engine, "release_hub", release)
    api, clock = FakeAccountApi(), FakeClock()
    checks = account_checks(api, clock=clock, events_hub=EventsHub("hub", HUB_REGION))
    notice_account(checks, "hub")
    await _check_when_due(checks, clock)
    await _check_when_due(checks, clock)
    assert release.calls == []
    assert [status[EVENTS_HUB_REGION] for status in api.statuses] == [HUB_REGION] * 2
