"""Keep the venue and event projections current (admin only)."""

from __future__ import annotations

import uuid

from tt_money.errors import InvalidInputError
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import Event, EventNotFoundError, Venue, VenueNotFoundError
from tt_payments.catalog.ports import Catalog
from tt_payments.clock import utcnow
from tt_tax import AddressError, TaxCalculator


async def put_venue(
    catalog: Catalog, tax: TaxCalculator, principal: Principal, venue: Venue
) -> bool:
    """Insert or replace ``venue``; True when it was new. Moves no money.

    A venue where we cannot tax a sale (no rate table for its state) is refused now,
    with the address field named, rather than at its first sale.
    """
    principal.require_role(Role.ADMIN)
    _require_own_tenant(principal, venue.tenant_id)
    try:
        tax.check_address(venue.address, venue.local_date(utcnow()))
    except AddressError as error:
        raise error.with_field_prefix("address") from None
    return await catalog.put_venue(venue)


async def put_event(catalog: Catalog, principal: Principal, event: Event) -> bool:
    """Insert or replace ``event`` at an existing venue; True when it was new."""
    principal.require_role(Role.ADMIN)
    _require_own_tenant(principal, event.tenant_id)
    if await catalog.get_venue(event.tenant_id, event.venue_id) is None:
        raise VenueNotFoundError(f"venue {event.venue_id} does not exist")
    return await catalog.put_event(event)


async def venue_and_event(
    catalog: Catalog, tenant_id: uuid.UUID, venue_id: uuid.UUID, event_id: uuid.UUID
) -> tuple[Venue, Event]:
    """The venue and its event a sale names: 404 ``VENUE_NOT_FOUND`` or
    ``EVENT_NOT_FOUND``, 422 naming ``eventId`` when the event is at another venue."""
    venue = await catalog.get_venue(tenant_id, venue_id)
    if venue is None:
        raise VenueNotFoundError(f"venue {venue_id} does not exist")
    event = await catalog.get_event(tenant_id, event_id)
    if event is None:
        raise EventNotFoundError(f"event {event_id} does not exist")
    if event.venue_id != venue.id:
        raise InvalidInputError(
            "Validation failed", details=(("eventId", "is not an event at this venue"),)
        )
    return venue, event


def _require_own_tenant(principal: Principal, tenant_id: object) -> None:
    # The shells build records from the principal's tenant; this guards other callers.
    if principal.tenant_id != tenant_id:
        raise ValueError("a record of another tenant was passed to a use case")
