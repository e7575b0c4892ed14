"""`gdpr-operator run`'s sharding and events hub options reach the operator; bad ones exit 2,
naming them."""

from __future__ import annotations

import pytest

from gdpr_operator import cli
from gdpr_operator.handlers import RunOptions
from gdpr_operator.model import EventsHub


def _options(monkeypatch: pytest.MonkeyPatch, *args: str) -> RunOptions:
    got: list[RunOptions] = []
    monkeypatch.setattr("gdpr_operator.handlers.run", got.append)
    cli.main(["run", *args])
    [options] = got
    return options


def test_leader_election_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    options = _options(monkeypatch)
    assert options.leader_election
    assert options.shard_lease_seconds is None


def test_sharded_mode_with_its_lease_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _options(monkeypatch, "--sharded").shard_lease_seconds == 15.0
    sharded = _options(monkeypatch, "--sharded", "--shard-lease-duration", "6")
    assert sharded.shard_lease_seconds == 6.0


@pytest.mark.parametrize("duration", ["0", "301", "soon"])
def test_a_bad_lease_duration_exits_2_naming_the_option(
    duration: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--sharded", "--shard-lease-duration", duration])
    assert exited.value.code == 2
    assert "--shard-lease-duration" in capsys.readouterr().err


def test_the_events_hub_reaches_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _options(monkeypatch).events_hub is None
    hub = _options(monkeypatch, "--events-hub", "security/eu-west-1").events_hub
    assert hub == EventsHub("security", "eu-west-1")


def test_a_bad_events_hub_exits_2_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--events-hub", "security"])
    assert exited.value.code == 2
    assert "--events-hub" in capsys.readouterr().err
