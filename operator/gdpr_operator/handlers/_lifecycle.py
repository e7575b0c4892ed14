"""Operator-wide resources that live as long as kopf runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import kopf

from gdpr_operator.aws import Aws
from gdpr_operator.handlers._accounts import AccountChecks
from gdpr_operator.handlers._config import OperatorConfig


@kopf.on.startup()
async def start_aws(memo: kopf.Memo, **kwargs: Any) -> None:
    """One AWS access layer (clients, credentials, limits) shared by every object, and the
    checker of AwsAccounts that uses it."""
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


@kopf.on.cleanup()
async def stop_aws(memo: kopf.Memo, **_: Any) -> None:
    task: asyncio.Task[None] = memo["account_checks_task"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    memo["aws"].close()
