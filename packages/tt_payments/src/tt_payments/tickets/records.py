"""Ticket types and the holds on them."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

import attrs

from tt_money import Money
from tt_money.errors import ConflictError, InvalidInputError


class TicketTypeNotFoundError(InvalidInputError):
    """The event has no ticket type with this id."""

    default_code = "TICKET_TYPE_NOT_FOUND"


class SoldOutError(ConflictError):
    """Fewer tickets of the type are left than were asked for."""

    default_code = "SOLD_OUT"


class SeatTakenError(ConflictError):
    """A named seat is held or sold to someone else."""

    default_code = "SEAT_TAKEN"


class PriceChangedError(ConflictError):
    """The buyer was shown another price than the catalog's: nothing is charged, the UI
    shows ``current_prices`` and asks the buyer to confirm again."""

    default_code = "PRICE_CHANGED"

    def __init__(
        self,
        message: str,
        *,
        current_prices: tuple[tuple[uuid.UUID, Money], ...],
        details: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message, details=details)
        self.current_prices = current_prices
        """(ticket type id, its price now) for every line whose price differed."""


class CapacityBelowSoldError(ConflictError):
    """A ticket type's capacity cannot drop below what is held and sold of it."""

    default_code = "CAPACITY_BELOW_SOLD"


@attrs.frozen(kw_only=True)
class TicketType:
    """One kind of ticket of an event: its verified price and how many there are."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    price: Money
    """Per ticket, in the event's currency (integer minor units)."""
    capacity: int
    taken: int = 0
    """In open or confirmed holds: what the capacity counts."""
    held: int | None = None
    """Of ``taken``, in open holds (buyers paying now); None where not counted (the
    payment path's quote reads only the price and what is left)."""
    sold: int | None = None
    """Of ``taken``, in confirmed holds (paid); None where not counted."""

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.name.strip():
            problems.append(("name", "must not be empty"))
        if self.price.minor < 0:
            problems.append(("price", "must not be negative"))
        if self.capacity < 0:
            problems.append(("capacity", "must not be negative"))
        if problems:
            raise InvalidInputError("Validation failed", details=tuple(problems))
        if (self.held is None) != (self.sold is None) or (
            self.held is not None and self.sold is not None and self.held + self.sold != self.taken
        ):
            raise ValueError(f"held {self.held} and sold {self.sold} must add up to {self.taken}")

    @property
    def available(self) -> int:
        return self.capacity - self.taken


class HoldStatus(enum.Enum):
    HELD = "held"
    """Reserved for the buyer until ``expires_at``."""
    CONFIRMED = "confirmed"
    """The payment completed: the tickets are sold."""
    RELEASED = "released"
    """Given back: the payment failed, was refused, timed out or was refunded."""


@attrs.frozen(kw_only=True)
class TicketHold:
    tenant_id: uuid.UUID
    id: uuid.UUID
    ticket_type_id: uuid.UUID
    user_id: uuid.UUID
    quantity: int
    seat_numbers: tuple[str, ...]
    status: HoldStatus
    expires_at: dt.datetime


def distinct_seats(quantity: int, seat_numbers: tuple[str, ...]) -> tuple[str, ...]:
    """The seats of a hold of ``quantity`` tickets: none, or one distinct seat per ticket
    (a seat named twice is the buyer's mistake, 422, not someone else's seat)."""
    if len(set(seat_numbers)) != len(seat_numbers) or (
        seat_numbers and len(seat_numbers) != quantity
    ):
        raise InvalidInputError(
            "name each seat once, one per ticket",
            details=(("seatNumbers", f"must be {quantity} distinct seats"),),
        )
    return seat_numbers
