"""Operator-wide resources that live as long as kopf runs."""

from __future__ import annotations

from typing import Any

import kopf

from gdpr_operator.aws import Aws


@kopf.on.startup()
async def start_aws(memo: kopf.Memo, **_: Any) -> None:
    """One AWS access layer (clients, credentials, limits) shared by every object."""
    memo["aws"] = Aws(memo["config"].aws_settings)


@kopf.on.cleanup()
async def stop_aws(memo: kopf.Memo, **_: Any) -> None:
    memo["aws"].close()
