"""Operator-wide resources that live as long as kopf runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import kopf

from gdpr_operator.aws import Aws
from gdpr_operator.engine import LiveMonitoring
from gdpr_operator.handlers._accounts import AccountChecks
from gdpr_operator.handlers._drift_events import (
    DriftEventConsumer,
    DriftInbox,
    Key,
    MonitoringWaker,
)
from gdpr_operator.handlers._owned import Ownership
from gdpr_operator.handlers._state import OperatorMemo, Services


def register(registry: kopf.OperatorRegistry) -> None:
    """This module's handlers, on `registry`."""
    kopf.on.startup(registry=registry)(start_aws)
    kopf.on.cleanup(registry=registry)(stop_aws)


async def start_aws(memo: OperatorMemo, **kwargs: Any) -> None:
    """One AWS access layer (clients, credentials, limits) shared by every object, and the
    checker of AwsAccounts and the consumer of drift events that use it."""
    shared = memo.shared
    config = shared.config
    aws = Aws(config.aws_settings)
    accounts, monitorings = kwargs["aws_accounts"], kwargs["live_monitorings"]
    uids = kwargs["monitoring_uids"]
    checks = AccountChecks(
        aws=aws,
        read_external_id=config.read_external_id,
        monitorings=kwargs["monitorings_by_account"],
        api=config.account_api,
        interval_seconds=config.account_check_seconds,
        owns=config.ownership.owns,
        live=lambda: [
            LiveMonitoring(namespace, name, spec)
            for (namespace, name), specs in monitorings.items()
            for spec in specs
        ],
        clock=shared.clock,
        events_hub=config.events_hub,
    )
    checks_task = asyncio.create_task(checks.run(), name="AwsAccount checks")
    inbox = DriftInbox()
    consumer = DriftEventConsumer(
        aws=aws,
        read_external_id=config.read_external_id,
        inbox=inbox,
        accounts=lambda: {name: spec for name, specs in accounts.items() for spec in specs},
        monitorings=lambda: {key: spec for key, specs in monitorings.items() for spec in specs},
        waker=MonitoringWaker(),
        clock=shared.clock,
        hub=config.events_hub,
        hub_status=checks,
        owner_elsewhere=lambda key: _owned_elsewhere(uids, config.ownership, key),
        wake_key=config.wake_key,
    )
    events_task = asyncio.create_task(consumer.run(), name="drift events")
    shared.services = Services(
        aws=aws, account_checks=checks, drift_inbox=inbox, tasks=(checks_task, events_task)
    )


def _owned_elsewhere(uids: kopf.Index[Key, str], ownership: Ownership, key: Key) -> str | None:
    """The uid of a GdprMonitoring that another replica owns; None: this one's (or unknown)."""
    uid = next(iter(uids.get(key, ())), None)
    return uid if uid and not ownership.owns(uid) else None


async def stop_aws(memo: OperatorMemo, **_: Any) -> None:
    services = memo.shared.running
    for task in services.tasks:
        task.cancel()
    for task in services.tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    services.aws.close()
