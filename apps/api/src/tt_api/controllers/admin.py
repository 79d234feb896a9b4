"""Admin routes that keep the venue and event projections current."""

from __future__ import annotations

import uuid

from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, JSONBody

from tt_api.auth import principal_of
from tt_api.dependencies import CatalogDep, TaxDep, TicketTypesDep
from tt_api.params import parse_id
from tt_api.schemas.catalog import (
    AddressBody,
    EventBody,
    PutEventRequest,
    PutEventResponse,
    PutTicketTypeRequest,
    PutTicketTypeResponse,
    PutVenueRequest,
    PutVenueResponse,
    RoyaltyBody,
    TicketTypeBody,
    TicketTypesResponse,
    VenueBody,
)
from tt_marketplace import RoyaltySettings
from tt_money import Money, VenueTier, currency_for
from tt_payments.catalog import Event, Venue, venue_from_fields
from tt_payments.catalog import service as catalog_use_cases
from tt_payments.tickets.records import TicketType


class AdminCatalogController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @put(
        "/venues/{venue_id:str}",
        operation_id="putVenue",
        summary="Create or replace the local projection of a venue",
        opt={"body": PutVenueRequest},
    )
    async def put_venue(
        self,
        request: Request[object, object, object],
        venue_id: FromPath[str],
        data: JSONBody[PutVenueRequest],
        catalog: CatalogDep,
        tax: TaxDep,
    ) -> Response[PutVenueResponse]:
        principal = principal_of(request)
        venue = venue_from_request(principal.tenant_id, parse_id(venue_id, "venueId"), data)
        created = await catalog_use_cases.put_venue(catalog, tax, principal, venue)
        return Response(
            PutVenueResponse(venue=venue_body(venue), created=created),
            status_code=201 if created else 200,
        )

    @put(
        "/events/{event_id:str}",
        operation_id="putEvent",
        summary="Create or replace the local projection of an event",
        opt={"body": PutEventRequest},
    )
    async def put_event(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        data: JSONBody[PutEventRequest],
        catalog: CatalogDep,
    ) -> Response[PutEventResponse]:
        principal = principal_of(request)
        event = Event(
            tenant_id=principal.tenant_id,
            id=parse_id(event_id, "eventId"),
            venue_id=data.venue_id,
            name=data.name,
            starts_at=data.starts_at,
        )
        created = await catalog_use_cases.put_event(catalog, principal, event)
        body = EventBody(
            id=event.id, venue_id=event.venue_id, name=event.name, starts_at=event.starts_at
        )
        return Response(
            PutEventResponse(event=body, created=created), status_code=201 if created else 200
        )

    @put(
        "/events/{event_id:str}/ticket-types/{ticket_type_id:str}",
        operation_id="putTicketType",
        summary="Create or replace a ticket type of an event: its verified price and capacity",
        opt={"body": PutTicketTypeRequest},
    )
    async def put_ticket_type(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        ticket_type_id: FromPath[str],
        data: JSONBody[PutTicketTypeRequest],
        ticket_types: TicketTypesDep,
    ) -> Response[PutTicketTypeResponse]:
        stored, created = await ticket_types.put(
            principal_of(request),
            event_id=parse_id(event_id, "eventId"),
            ticket_type_id=parse_id(ticket_type_id, "ticketTypeId"),
            name=data.name,
            price=Money(data.price, currency_for(data.currency)),
            capacity=data.capacity,
        )
        return Response(
            PutTicketTypeResponse(ticket_type=ticket_type_body(stored), created=created),
            status_code=201 if created else 200,
        )

    @get(
        "/events/{event_id:str}/ticket-types",
        operation_id="listTicketTypes",
        summary="An event's ticket types, with what is held, sold and left",
    )
    async def list_ticket_types(
        self,
        request: Request[object, object, object],
        event_id: FromPath[str],
        ticket_types: TicketTypesDep,
    ) -> TicketTypesResponse:
        found = await ticket_types.of_event(principal_of(request), parse_id(event_id, "eventId"))
        return TicketTypesResponse(ticket_types=[ticket_type_body(t) for t in found])


def ticket_type_body(ticket_type: TicketType) -> TicketTypeBody:
    return TicketTypeBody(
        id=ticket_type.id,
        event_id=ticket_type.event_id,
        name=ticket_type.name,
        price=ticket_type.price.minor,
        currency=ticket_type.price.currency.code,
        capacity=ticket_type.capacity,
        # put and of_event count both (None only in the payment path's quote)
        held=ticket_type.held or 0,
        sold=ticket_type.sold or 0,
        available=ticket_type.available,
    )


def venue_from_request(tenant_id: uuid.UUID, venue_id: uuid.UUID, data: PutVenueRequest) -> Venue:
    royalty = data.royalty or RoyaltyBody()
    return venue_from_fields(
        tenant_id=tenant_id,
        venue_id=venue_id,
        name=data.name,
        street=data.address.street,
        city=data.address.city,
        state=data.address.state,
        zip_code=data.address.zip,
        country=data.address.country,
        time_zone=data.time_zone,
        tier_override=VenueTier(data.tier_override) if data.tier_override else None,
        platform_fee_bps_override=data.platform_fee_bps_override,
        royalties=RoyaltySettings(
            venue_bps=royalty.venue_bps,
            artist_bps=royalty.artist_bps,
            artist_id=royalty.artist_id,
        ),
    )


def venue_body(venue: Venue) -> VenueBody:
    return VenueBody(
        id=venue.id,
        name=venue.name,
        address=AddressBody(
            street=venue.address.street,
            city=venue.address.city,
            state=venue.address.state,
            zip=venue.address.zip,
        ),
        time_zone=venue.time_zone,
        currency=venue.currency.code,
        tier_override=(
            venue.fee_terms.tier_override.value if venue.fee_terms.tier_override else None
        ),
        platform_fee_bps_override=venue.fee_terms.platform_fee_bps_override,
        royalty=RoyaltyBody(
            venue_bps=venue.royalties.venue_bps,
            artist_bps=venue.royalties.artist_bps,
            artist_id=venue.royalties.artist_id,
        ),
    )
