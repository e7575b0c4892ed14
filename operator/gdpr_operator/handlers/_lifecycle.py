"""Operator-wide resources that live as long as kopf runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import kopf

from gdpr_operator.aws import Aws
from gdpr_operator.handlers._accounts import AccountChecks
from gdpr_operator.handlers._config import OperatorConfig
from gdpr_operator.handlers._drift_events import DriftEventConsumer, DriftInbox, MonitoringWaker


@kopf.on.startup()
async def start_aws(memo: kopf.Memo, **kwargs: Any) -> None:
    """One AWS access layer (clients, credentials, limits) shared by every object, and the
    checker of AwsAccounts and the consumer of drift events that use it."""
    config: OperatorConfig = memo["config"]
    memo["aws"] = Aws(config.aws_settings)
    checks = memo["account_checks"] = AccountChecks(
        aws=memo["aws"],
        read_external_id=config.read_external_id,
        monitorings=kwargs["monitorings_by_account"],
        api=config.account_api,
        interval_seconds=config.account_check_seconds,
        owns=config.ownership.owns,
    )
    memo["account_checks_task"] = asyncio.create_task(checks.run(), name="AwsAccount checks")
    accounts, monitorings = kwargs["aws_accounts"], kwargs["live_monitorings"]
    consumer = DriftEventConsumer(
        aws=memo["aws"],
        read_external_id=config.read_external_id,
        inbox=memo.setdefault("drift_inbox", DriftInbox()),
        accounts=lambda: {name: spec for name, specs in accounts.items() for spec in specs},
        monitorings=lambda: {key: spec for key, specs in monitorings.items() for spec in specs},
        waker=MonitoringWaker(),
    )
    memo["drift_events_task"] = asyncio.create_task(consumer.run(), name="drift events")


@kopf.on.cleanup()
async def stop_aws(memo: kopf.Memo, **_: Any) -> None:
    tasks: list[asyncio.Task[None]] = [memo["account_checks_task"], memo["drift_events_task"]]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    memo["aws"].close()
