"""The admin's ticket types (``PUT /api/v1/admin/events/{eventId}/ticket-types/{id}``,
``tt events ticket-types put|list``): name, verified price and capacity per event."""

from __future__ import annotations

import uuid

import attrs

from tt_money import Money
from tt_money.errors import ConflictError, InvalidInputError
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import EventNotFoundError
from tt_payments.catalog.ports import Catalog
from tt_payments.tickets.ports import TicketTypeStore
from tt_payments.tickets.records import TicketType

__all__ = ["TicketTypeService"]


@attrs.frozen(kw_only=True)
class TicketTypeService:
    store: TicketTypeStore
    catalog: Catalog
    managed_by: str | None = None
    """Where ticket types live when not here (the ticket service's URL): then putting one
    is refused, since payments would never read it."""

    async def put(
        self,
        principal: Principal,
        *,
        event_id: uuid.UUID,
        ticket_type_id: uuid.UUID,
        name: str,
        price: Money,
        capacity: int,
    ) -> tuple[TicketType, bool]:
        """Admin only: create or replace a ticket type of an existing event, priced in its
        venue's currency. Returns it as stored and whether it was new."""
        principal.require_role(Role.ADMIN)
        if self.managed_by is not None:
            raise ConflictError(
                f"ticket types are managed by the ticket service at {self.managed_by}",
                code="TICKET_TYPES_MANAGED_ELSEWHERE",
            )
        event = await self.catalog.get_event(principal.tenant_id, event_id)
        if event is None:
            raise EventNotFoundError(f"event {event_id} does not exist")
        venue = await self.catalog.get_venue(principal.tenant_id, event.venue_id)
        if venue is not None and price.currency != venue.currency:
            raise InvalidInputError(
                "Validation failed",
                code="UNSUPPORTED_CURRENCY",
                details=(("currency", f"this event's venue sells in {venue.currency.code}"),),
            )
        ticket_type = TicketType(
            tenant_id=principal.tenant_id,
            id=ticket_type_id,
            event_id=event_id,
            name=name,
            price=price,
            capacity=capacity,
        )
        return await self.store.put(ticket_type)

    async def of_event(self, principal: Principal, event_id: uuid.UUID) -> list[TicketType]:
        """Admin only: the event's ticket types with what is held, sold and left."""
        principal.require_role(Role.ADMIN)
        return await self.store.of_event(principal.tenant_id, event_id)
