"""Answers as the layer hands them to reconcilers."""

from __future__ import annotations

import datetime as dt

from gdpr_operator.aws import AccountAccess, Aws, Target


async def test_timestamps_come_parsed_by_the_layers_own_parser(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    reply = await layer.call(
        Target(demo_accounts["shop"], "eu-west-1"), "ec2", "describe_instances"
    )
    launched = [i["LaunchTime"] for r in reply["Reservations"] for i in r["Instances"]]

    assert launched
    # The standard library's UTC, not dateutil's: the fast path, not botocore's default.
    assert all(t.tzinfo is dt.UTC for t in launched)
