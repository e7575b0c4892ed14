"""The events hub setting (`gdpr-operator run --events-hub ACCOUNT/REGION`): the one
AwsAccount (by name) and region where the drift events of every member account-region are
forwarded, to the one queue the operator polls. Without it, each account-region has its own
queue."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass(frozen=True, slots=True)
class EventsHub:
    """The hub: an AwsAccount by name, a region, and (once the engine resolved the name) the
    account's id; empty while the AwsAccount is not known."""

    account: str
    region: str
    account_id: str = ""

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


def parse_events_hub(value: str) -> EventsHub:
    """ "security/eu-west-1" -> EventsHub("security", "eu-west-1"); ValueError otherwise."""
    account, _, region = value.partition("/")
    if not _NAME.match(account) or not _REGION.match(region):
        raise ValueError(
            f"{value!r}: expected ACCOUNT/REGION, an AwsAccount's name and an AWS region "
            "(security/eu-west-1)"
        )
    return EventsHub(account, region)
