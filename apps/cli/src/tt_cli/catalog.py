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
    from tt_payments.tickets.records import TicketType

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


ticket_types_app = typer.Typer(
    help="An event's ticket types: verified price and capacity (admin).", no_args_is_help=True
)
events_app.add_typer(ticket_types_app, name="ticket-types")


def _ticket_type_json(ticket_type: TicketType) -> str:
    return json.dumps(
        {
            "id": str(ticket_type.id),
            "eventId": str(ticket_type.event_id),
            "name": ticket_type.name,
            "price": ticket_type.price.minor,
            "currency": ticket_type.price.currency.code,
            "capacity": ticket_type.capacity,
            "held": ticket_type.held or 0,  # put and of_event count both
            "sold": ticket_type.sold or 0,
            "available": ticket_type.available,
        }
    )


@ticket_types_app.command("put")
@reports_errors
def put_ticket_type_cli(
    ticket_type_id: Annotated[uuid.UUID, typer.Argument(help="The ticket type's id (UUID)")],
    tenant: Annotated[uuid.UUID, typer.Option(help="Tenant id (UUID)")],
    event: Annotated[uuid.UUID, typer.Option(help="The event's id (UUID)")],
    name: Annotated[str, typer.Option()],
    price: Annotated[int, typer.Option(min=0, help="Per ticket, in cents")],
    capacity: Annotated[int, typer.Option(min=0, help="How many there are")],
    currency: Annotated[str, typer.Option(help="ISO 4217, the venue's")] = "USD",
) -> None:
    """Create or replace a ticket type of an event; prints it as JSON."""
    from tt_money import Money, currency_for

    async def run(container: Container) -> TicketType:
        stored, _ = await container.ticket_types.put(
            operator(tenant),
            event_id=event,
            ticket_type_id=ticket_type_id,
            name=name,
            price=Money(price, currency_for(currency)),
            capacity=capacity,
        )
        return stored

    typer.echo(_ticket_type_json(asyncio.run(with_container(run))))


@ticket_types_app.command("list")
@reports_errors
def list_ticket_types_cli(
    tenant: Annotated[uuid.UUID, typer.Option(help="Tenant id (UUID)")],
    event: Annotated[uuid.UUID, typer.Option(help="The event's id (UUID)")],
) -> None:
    """The event's ticket types, one JSON object a line."""

    async def run(container: Container) -> list[TicketType]:
        return await container.ticket_types.of_event(operator(tenant), event)

    rows = asyncio.run(with_container(run))
    for row in rows:
        typer.echo(_ticket_type_json(row))
    if not rows:
        typer.echo("no ticket types", err=True)
