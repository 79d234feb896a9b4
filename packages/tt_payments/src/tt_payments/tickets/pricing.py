"""Verified prices: what a buyer asks for, priced by the ticket catalog, never by the
client. Payments refuse a line whose shown price is not the catalog's (``PRICE_CHANGED``:
the UI re-confirms, nothing is charged); calculate-fees prices lines it is given without
a price."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

import attrs

from tt_money import Money
from tt_money.errors import InvalidInputError
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.records import (
    PriceChangedError,
    SoldOutError,
    TicketType,
    TicketTypeNotFoundError,
)

__all__ = ["AskedLine", "PricedLine", "price_lines"]


@attrs.frozen(kw_only=True)
class AskedLine:
    ticket_type_id: uuid.UUID
    quantity: int
    shown_price: Money | None = None
    """The per-ticket price the buyer saw (a payment), or None (a fee quote)."""


@attrs.frozen(kw_only=True)
class PricedLine:
    ticket_type: TicketType
    quantity: int

    @property
    def subtotal(self) -> Money:
        return self.ticket_type.price * self.quantity


async def price_lines(
    catalog: TicketCatalog,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    lines: Sequence[AskedLine],
) -> list[PricedLine]:
    """Each line with its ticket type as the catalog has it now, in order.

    Refuses, naming every offending line: an id that is not a ticket type of the event
    (``TICKET_TYPE_NOT_FOUND``); a shown price that differs from the catalog's
    (``PRICE_CHANGED``, with the current prices); more tickets of a type than are left
    (``SOLD_OUT``; a hint only: the hold is what decides under concurrency).
    """
    types = await catalog.quote(tenant_id, event_id, {line.ticket_type_id for line in lines})
    missing = [
        (f"tickets[{index}].ticketTypeId", "is not a ticket type of this event")
        for index, line in enumerate(lines)
        if line.ticket_type_id not in types
    ]
    if missing:
        raise TicketTypeNotFoundError(
            f"event {event_id} has no such ticket type", details=tuple(missing)
        )
    currencies = {ticket_type.price.currency for ticket_type in types.values()}
    if len(currencies) != 1:  # pragma: no cover - the admin route prices in the venue's
        raise InvalidInputError(
            "Validation failed", details=(("tickets", "must all be in one currency"),)
        )
    changed: list[tuple[int, TicketType]] = [
        (index, types[line.ticket_type_id])
        for index, line in enumerate(lines)
        if line.shown_price is not None and line.shown_price != types[line.ticket_type_id].price
    ]
    if changed:
        raise PriceChangedError(
            "the price of a ticket has changed; confirm the new price and pay again",
            current_prices=tuple(
                dict.fromkeys((ticket_type.id, ticket_type.price) for _, ticket_type in changed)
            ),
            details=tuple(
                (f"tickets[{index}].price", f"is now {ticket_type.price.minor}")
                for index, ticket_type in changed
            ),
        )
    wanted = Counter[uuid.UUID]()
    for line in lines:
        wanted[line.ticket_type_id] += line.quantity
    short = {
        type_id: types[type_id].available
        for type_id, quantity in wanted.items()
        if quantity > types[type_id].available
    }
    if short:
        raise SoldOutError(
            "not enough tickets are left",
            details=tuple(
                (f"tickets[{index}].quantity", f"only {max(short[line.ticket_type_id], 0)} left")
                for index, line in enumerate(lines)
                if line.ticket_type_id in short
            ),
        )
    return [
        PricedLine(ticket_type=types[line.ticket_type_id], quantity=line.quantity) for line in lines
    ]
