"""Keep the venue and event projections current (admin only)."""

from __future__ import annotations

from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import Event, Venue, VenueNotFoundError
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


def _require_own_tenant(principal: Principal, tenant_id: object) -> None:
    # The shells build records from the principal's tenant; this guards other callers.
    if principal.tenant_id != tenant_id:
        raise ValueError("a record of another tenant was passed to a use case")
