"""tt venues put / tt events put: the same use cases as the admin API, from a shell."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import operator, with_container
from tt_money import VenueTier

if TYPE_CHECKING:
    from tt_payments import Container

venues_app = typer.Typer(help="Venue projections (admin).", no_args_is_help=True)
events_app = typer.Typer(help="Event projections (admin).", no_args_is_help=True)


@venues_app.command("put")
@reports_errors
def put_venue_cli(
    venue_id: Annotated[uuid.UUID, typer.Argument(help="The venue's id (UUID)")],
    tenant: Annotated[uuid.UUID, typer.Option(help="Tenant id (UUID)")],
    name: Annotated[str, typer.Option()],
    city: Annotated[str, typer.Option()],
    state: Annotated[str, typer.Option(help="Two-letter state code, e.g. TN")],
    zip_code: Annotated[str, typer.Option("--zip", help="ZIP or ZIP+4")],
    street: Annotated[str | None, typer.Option()] = None,
    time_zone: Annotated[
        str | None, typer.Option(help="IANA zone [default: the state's predominant zone]")
    ] = None,
    tier: Annotated[VenueTier | None, typer.Option(help="Tier override")] = None,
    platform_fee_bps: Annotated[
        int | None, typer.Option(help="Platform fee override, basis points")
    ] = None,
    royalty_venue_bps: Annotated[int, typer.Option()] = 0,
    royalty_artist_bps: Annotated[int, typer.Option()] = 0,
    artist_id: Annotated[uuid.UUID | None, typer.Option()] = None,
) -> None:
    """Create or replace a venue; prints it as JSON."""
    from tt_marketplace import RoyaltySettings
    from tt_payments.catalog import service as catalog_use_cases
    from tt_payments.catalog import venue_from_fields

    venue = venue_from_fields(
        tenant_id=tenant,
        venue_id=venue_id,
        name=name,
        street=street,
        city=city,
        state=state,
        zip_code=zip_code,
        time_zone=time_zone,
        tier_override=tier,
        platform_fee_bps_override=platform_fee_bps,
        royalties=RoyaltySettings(
            venue_bps=royalty_venue_bps, artist_bps=royalty_artist_bps, artist_id=artist_id
        ),
    )

    async def run(container: Container) -> bool:
        return await catalog_use_cases.put_venue(
            container.catalog, container.tax, operator(tenant), venue
        )

    created = asyncio.run(with_container(run))
    typer.echo(json.dumps({"venueId": str(venue.id), "created": created, "name": venue.name}))


@events_app.command("put")
@reports_errors
def put_event_cli(
    event_id: Annotated[uuid.UUID, typer.Argument(help="The event's id (UUID)")],
    tenant: Annotated[uuid.UUID, typer.Option(help="Tenant id (UUID)")],
    venue: Annotated[uuid.UUID, typer.Option(help="The venue's id (UUID)")],
    name: Annotated[str, typer.Option()],
    starts_at: Annotated[str, typer.Option(help="ISO 8601 with offset, e.g. 2025-06-01T20:00:00Z")],
) -> None:
    """Create or replace an event at an existing venue; prints it as JSON."""
    try:
        start = dt.datetime.fromisoformat(starts_at)
    except ValueError:
        raise fail(f"--starts-at {starts_at!r} is not an ISO 8601 date-time") from None
    from tt_payments.catalog import Event
    from tt_payments.catalog import service as catalog_use_cases

    event = Event(tenant_id=tenant, id=event_id, venue_id=venue, name=name, starts_at=start)

    async def run(container: Container) -> bool:
        return await catalog_use_cases.put_event(container.catalog, operator(tenant), event)

    created = asyncio.run(with_container(run))
    typer.echo(json.dumps({"eventId": str(event.id), "created": created, "name": event.name}))
