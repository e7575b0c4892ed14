"""The events hub an AwsAccount holds, in its status: `eventsHubRegion` says in which region
of the account the operator keeps (or kept) the installation's hub, so that once the hub is
no longer there (`--events-hub` removed, or moved to another account or region) its checker
releases it, after a restart too; and the Event of that release. Pure."""

from __future__ import annotations

from gdpr_operator.engine import PlumbingRelease
from gdpr_operator.report._conditions import Event

EVENTS_HUB_REGION = "eventsHubRegion"
"""The status field: the region of the hub the operator keeps (or kept, until released) in the
account; absent when it keeps none there."""
EVENTS_HUB_RELEASED = "EventsHubReleased"
EVENTS_HUB_RELEASE_FAILED = "EventsHubReleaseFailed"


def hub_status(
    recorded: str | None, kept: str | None, release: PlumbingRelease | None
) -> dict[str, str | None]:
    """`eventsHubRegion`: the region still to release while its release failed (the next
    check tries again), else the hub kept there now, else none (None clears the field)."""
    if release is not None and release.errors:
        return {EVENTS_HUB_REGION: recorded}
    return {EVENTS_HUB_REGION: kept or (recorded if release is None else None)}


def hub_event(release: PlumbingRelease) -> Event:
    """The Event of releasing the events hub that the operator kept in the account."""
    where = ", ".join(release.regions)
    if release.errors:
        return Event(
            "Warning",
            EVENTS_HUB_RELEASE_FAILED,
            f"the operator no longer keeps the events hub in {where}; not all of it is "
            f"removed yet (retried at the next check): {'; '.join(release.errors)}",
        )
    removed = "; ".join(release.released) or "none of the operator's plumbing was left"
    return Event(
        "Normal",
        EVENTS_HUB_RELEASED,
        f"the operator no longer keeps the events hub in {where}: {removed}",
    )
