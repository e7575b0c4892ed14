"""Which resync interval a GdprMonitoring gets: the one it sets, or a default that depends on
whether the AwsAccounts it binds deliver change events (no clock involved)."""

from __future__ import annotations

from typing import Any, cast

import kopf
import pytest

from gdpr_operator.handlers import _monitorings
from gdpr_operator.model import (
    RESYNC_SECONDS,
    RESYNC_WITH_EVENTS_SECONDS,
    DriftEventsMode,
    effective_resync_interval,
    parse_aws_account,
    parse_monitoring,
)

OFF, MANAGED, EXTERNAL = DriftEventsMode.OFF, DriftEventsMode.MANAGED, DriftEventsMode.EXTERNAL
MINIMAL = {"accounts": ["prod", "shop"], "regions": ["eu-west-1"]}
UNSET = parse_monitoring(MINIMAL)


@pytest.mark.parametrize(
    ("modes", "seconds"),
    [
        ([OFF], RESYNC_SECONDS),
        ([MANAGED], RESYNC_WITH_EVENTS_SECONDS),
        ([EXTERNAL], RESYNC_WITH_EVENTS_SECONDS),
        ([MANAGED, EXTERNAL], RESYNC_WITH_EVENTS_SECONDS),
        ([MANAGED, OFF], RESYNC_SECONDS),  # one account's drift is found by the resync alone
        ([], RESYNC_SECONDS),  # none bound: nothing delivers events
    ],
)
def test_the_default_depends_on_the_bound_accounts_events(
    modes: list[DriftEventsMode], seconds: float
) -> None:
    assert effective_resync_interval(UNSET, modes) == seconds


def test_the_defaults_are_5m_and_1h() -> None:
    assert (RESYNC_SECONDS, RESYNC_WITH_EVENTS_SECONDS) == (300, 3600)


@pytest.mark.parametrize("modes", [[], [OFF], [MANAGED], [MANAGED, OFF]])
def test_an_explicit_interval_always_wins(modes: list[DriftEventsMode]) -> None:
    spec = parse_monitoring({**MINIMAL, "resyncInterval": "7m"})
    assert spec.resync_interval_seconds == 420
    assert effective_resync_interval(spec, modes) == 420


def _account(name: str, mode: str, namespaces: list[str]) -> Any:
    return parse_aws_account(
        name,
        {"accountId": "111111111111", "allowedNamespaces": namespaces, "events": {"mode": mode}},
    )


def _interval(accounts: dict[str, Any], namespace: str = "sec") -> float:
    body = kopf.Body({"metadata": {"namespace": namespace, "generation": 1}})
    index = cast(Any, {name: [account] for name, account in accounts.items()})
    return _monitorings._resync_interval(body, UNSET, index)


def test_only_accounts_that_exist_and_allow_the_namespace_count() -> None:
    managed = _account("prod", "Managed", ["sec"])
    assert _interval({"prod": managed, "shop": _account("shop", "External", ["sec"])}) == 3600
    assert _interval({"prod": managed, "shop": _account("shop", "Off", ["sec"])}) == 300
    # shop missing, or not allowing the namespace: its Off does not count (the pass refuses).
    assert _interval({"prod": managed}) == 3600
    assert _interval({"prod": managed, "shop": _account("shop", "Off", ["other"])}) == 3600
    assert _interval({"prod": managed}, namespace="other") == 300  # none bound


def test_an_events_mode_change_counts_as_an_account_changed() -> None:
    """The timer passes at once when `_accounts_seen` differs from the last pass's: a mode
    change must, so that the new interval and the status's record of it follow."""
    before = cast(Any, {"prod": [_account("prod", "Off", ["sec"])]})
    after = cast(Any, {"prod": [_account("prod", "Managed", ["sec"])]})
    assert _monitorings._accounts_seen(UNSET, before) != _monitorings._accounts_seen(UNSET, after)
