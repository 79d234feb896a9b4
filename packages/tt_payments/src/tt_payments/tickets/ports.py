"""The ticket catalog as payments (and later group payments and resale) see it: quote the
ticket types of an event, hold tickets for a buyer, confirm or release the hold."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Protocol

from tt_payments.tickets.records import TicketHold, TicketType


class TicketCatalog(Protocol):
    async def quote(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, ticket_type_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, TicketType]:
        """The event's ticket types among ``ticket_type_ids``, with their verified price
        and what is left; an unknown id is absent from the answer."""
        ...

    async def hold(
        self,
        tenant_id: uuid.UUID,
        *,
        hold_id: uuid.UUID,
        event_id: uuid.UUID,
        ticket_type_id: uuid.UUID,
        user_id: uuid.UUID,
        quantity: int,
        seat_numbers: Sequence[str] = (),
        expires_at: dt.datetime,
    ) -> TicketHold:
        """Reserve ``quantity`` tickets (and the named seats) for the buyer until
        ``expires_at``. Idempotent per ``hold_id``: a retry gets the same hold.
        ``TicketTypeNotFoundError``, ``SoldOutError``, ``SeatTakenError``: nothing held."""
        ...

    async def confirm(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        """The payment completed: held -> sold. False when the hold is not held (already
        confirmed, or released)."""
        ...

    async def release(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        """Give the tickets and seats back (a failed, refused or refunded payment). False
        when it was released already."""
        ...

    async def release_expired(self, now: dt.datetime, *, limit: int = 500) -> int:
        """Release holds still held past their expiry; how many."""
        ...

    async def aclose(self) -> None:
        """Release the catalog's clients (the service is stopping)."""
        ...


class TicketHoldWriter(Protocol):
    """A payment's holds, moved inside the payment's own transaction: they commit (or
    roll back) with its state change, so a crash can never leave a completed payment
    with its tickets still only held, or a failed one with its tickets gone."""

    async def confirm(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """The payment completed: each hold held -> confirmed (sold); one confirmed
        already counts as done. A hold released meanwhile (it expired while the processor
        was deciding) is taken again if its tickets and seats are still free. Returns the
        holds that could not be confirmed: their tickets went to someone else."""
        ...

    async def release(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> int:
        """The payment failed, was cancelled or refunded in full: held or confirmed ->
        released, tickets and seats given back once. How many moved."""
        ...


class TicketTypeStore(Protocol):
    """The admin's side of the local catalog."""

    async def put(self, ticket_type: TicketType) -> tuple[TicketType, bool]:
        """Insert or replace name, price and capacity (held and sold stay): the type as
        stored, and True when it was new.
        ``CapacityBelowSoldError`` when the capacity is below what is held and sold."""
        ...

    async def of_event(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> list[TicketType]: ...
