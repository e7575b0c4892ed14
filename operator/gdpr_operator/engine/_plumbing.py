"""The drift-event plumbing of an AwsAccount that left events.mode Managed for Off: the rule,
its target and the queue that the operator made (tagged as its own) removed in every region
the live GdprMonitorings bound to the account cover, and in IAM_EVENTS_REGION (IAM's
events). Passes under Off make no EventBridge or SQS call, so this is the one place that
removes it; the AwsAccount's checker calls it once, as it sees the account leave Managed.
Likewise the events hub: kept by the hub's poller (`keep_hub`), and released by the hub
account's checker (`release_hub`) once its status records a hub the operator no longer
keeps (`stale_hub`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gdpr_operator.aws import Aws, AwsError, Target
from gdpr_operator.engine._accounts import (
    CredentialsUnavailableError,
    ExternalIdReader,
    account_access,
)
from gdpr_operator.engine._engine import LiveMonitoring
from gdpr_operator.model import (
    ALL_REGIONS,
    AwsAccountSpec,
    CheckResult,
    DriftEventsMode,
    EventsHub,
)
from gdpr_operator.reconcilers import AwsReads, AwsWrites, WriteRefusedError
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.drift_events import (
    plumbing_regions,
    reconcile_hub,
    remove_forwarder,
    remove_hub,
    remove_plumbing,
)

HUB_OWNER = "installation/events-hub"
"""The owner tag on the hub's resources: the installation's, not a GdprMonitoring's."""


@dataclass(frozen=True, slots=True)
class PlumbingRelease:
    """What removing an account's plumbing did: what it removed, and what stopped it where
    (empty: done everywhere; nothing removed and no error: there was none of it)."""

    released: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    """The regions it looked in."""


def covered_regions(
    account: AwsAccountSpec, monitorings: Sequence[LiveMonitoring]
) -> tuple[str, ...]:
    """The regions that the GdprMonitorings naming `account` from a namespace it binds
    cover: where passes under Managed made plumbing. ALL_REGIONS alone when one asks for
    every region. Pure."""
    regions = {
        region
        for live in monitorings
        if account.name in live.spec.accounts and live.namespace in account.allowed_namespaces
        for region in live.spec.regions
    }
    return (ALL_REGIONS,) if ALL_REGIONS in regions else tuple(sorted(regions))


async def release_plumbing(
    account: AwsAccountSpec,
    monitorings: Sequence[LiveMonitoring],
    read_external_id: ExternalIdReader,
    aws: Aws,
    *,
    unchanged: Callable[[], bool],
    events_hub: EventsHub | None = None,
) -> PlumbingRelease:
    """Removes the operator's rule, target and queue from the regions `covered_regions`
    names and IAM_EVENTS_REGION (nothing that is not tagged as the operator's); each write
    goes out only while `unchanged()` says the AwsAccount is still as given. Never raises
    for AWS errors: they are in the result's errors, one per region (or one for the
    account). With an events hub (its account resolved), the hub's own queue stays and the
    account's forwarder role goes too."""
    requested = plumbing_regions(covered_regions(account, monitorings))
    if not requested:
        return PlumbingRelease()
    try:
        access = await account_access(account, read_external_id)
        regions = tuple(await aws.regions(access, requested))
    except (CredentialsUnavailableError, AwsError) as error:
        return PlumbingRelease(errors=(f"{account.name}: {error}",))

    reads, writes = AwsReads(aws), AwsWrites(aws, account_guard(account, unchanged))

    async def one(region: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        target = Target(access, region)
        try:
            report = await remove_plumbing(reads, writes, target, events_hub)
        except (AwsError, WriteRefusedError) as error:
            return (), (f"{target}: {error}",)
        return tuple(report.released), ()

    done = await asyncio.gather(*(one(region) for region in regions))
    if events_hub is not None and regions:
        target = Target(access, regions[0])
        try:
            role = await remove_forwarder(reads, writes, target)
            done.append((tuple(role.released), ()))
        except (AwsError, WriteRefusedError) as error:
            done.append(((), (f"{target.account}: {error}",)))
    return PlumbingRelease(
        released=tuple(item for released, _ in done for item in released),
        errors=tuple(item for _, errors in done for item in errors),
        regions=regions,
    )


def event_queues(targets: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """The (account, region) queues a pass's targets (by AwsAccount name) are served by:
    theirs, and each account's in IAM_EVENTS_REGION. Pure."""
    regions: dict[str, list[str]] = {}
    for account, region in targets:
        regions.setdefault(account, []).append(region)
    return frozenset(
        (account, region)
        for account, covered in regions.items()
        for region in plumbing_regions(covered)
    )


def account_guard(
    account: AwsAccountSpec, unchanged: Callable[[], bool]
) -> Callable[[Target], None]:
    """The write guard of a release the AwsAccount's checker makes: no write once the
    AwsAccount is no longer as the checker found it."""

    def guard(target: Target) -> None:
        if not unchanged():
            raise WriteRefusedError(
                "AccountChanged",
                f"AwsAccount {account.name} changed: its plumbing in {target} is left as it is",
            )

    return guard


@dataclass(frozen=True, slots=True)
class HubUpkeep:
    """What keeping the events hub found: its events.hub results, or why it could not."""

    results: tuple[CheckResult, ...] = ()
    error: str = ""


def hub_members(accounts: Mapping[str, AwsAccountSpec]) -> frozenset[str]:
    """The account ids whose events are consumed (events.mode Managed or External): who may
    put events on the hub bus. Pure."""
    return frozenset(
        account.account_id for account in accounts.values() if account.drift_events.consumed
    )


async def keep_hub(
    hub: EventsHub,
    accounts: Mapping[str, AwsAccountSpec],
    read_external_id: ExternalIdReader,
    aws: Aws,
) -> HubUpkeep:
    """Makes and keeps the hub's bus, rule, queue and target in the hub account-region (its
    AwsAccount must be events.mode Managed: the account's admin asked for the operator's
    plumbing there), the bus letting in every member account. Never raises for AWS errors."""
    account = accounts.get(hub.account)
    if account is None:
        return HubUpkeep(error=f"the events hub's AwsAccount {hub.account} is not known")
    if account.drift_events is not DriftEventsMode.MANAGED:
        return HubUpkeep(
            error=f"the events hub's AwsAccount {hub.account} is events.mode "
            f"{account.drift_events.value}, not Managed: the operator makes no hub there"
        )
    try:
        access = await account_access(account, read_external_id)
        target = Target(access, hub.region)
        results = await reconcile_hub(
            AwsReads(aws),
            AwsWrites(aws, lambda target: None),
            target,
            hub_members(accounts),
            ownership_tags(HUB_OWNER),
        )
    except (CredentialsUnavailableError, AwsError, WriteRefusedError) as error:
        return HubUpkeep(error=f"{hub}: {error}")
    return HubUpkeep(results=tuple(results))


def kept_hub_region(account: AwsAccountSpec, hub: EventsHub | None) -> str | None:
    """The region where the operator keeps the installation's hub in `account`: the hub's,
    when `account` is the hub's AwsAccount and events.mode Managed (`keep_hub` makes
    nothing otherwise); None elsewhere. Pure."""
    if hub is None or hub.account != account.name:
        return None
    return hub.region if account.drift_events is DriftEventsMode.MANAGED else None


def stale_hub(account: AwsAccountSpec, recorded: str | None, hub: EventsHub | None) -> str | None:
    """The region of the hub `account`'s status records (`recorded`) once the operator no
    longer keeps it there (no hub any more, another account or region, or the account's
    events moved to Off): what to release. None when nothing is recorded, when it is kept
    still, and under External (the operator writes nothing in that account). Pure."""
    if not recorded or account.drift_events is DriftEventsMode.EXTERNAL:
        return None
    return None if recorded == kept_hub_region(account, hub) else recorded


async def release_hub(
    account: AwsAccountSpec,
    region: str,
    read_external_id: ExternalIdReader,
    aws: Aws,
    *,
    unchanged: Callable[[], bool],
) -> PlumbingRelease:
    """Removes the hub's rule, target, queue and bus that the operator made in `account`'s
    `region` (nothing that is not tagged as the operator's); each write goes out only while
    `unchanged()` says the AwsAccount is still as given. Never raises for AWS errors."""
    try:
        access = await account_access(account, read_external_id)
        target = Target(access, region)
        report = await remove_hub(
            AwsReads(aws), AwsWrites(aws, account_guard(account, unchanged)), target
        )
    except (CredentialsUnavailableError, AwsError, WriteRefusedError) as error:
        return PlumbingRelease(errors=(f"{account.name}/{region}: {error}",), regions=(region,))
    return PlumbingRelease(released=tuple(report.released), regions=(region,))
