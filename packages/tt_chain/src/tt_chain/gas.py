"""Gas quotes per chain, the buyer's gas charge, and which chain to mint on.

Two different numbers live here and must not be confused:

* a ``GasQuote`` is what minting one ticket costs the platform on a chain right now,
  in the chain's native unit and in US dollars, as exact decimals (sub-cent values are
  normal: a Polygon mint costs about half a cent);
* the ``GasChargePolicy`` is what the buyer pays towards minting, in whole minor units
  per ticket. It is a price the platform sets, not a pass-through of the quote.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from decimal import Decimal

import attrs

from tt_money import Money
from tt_money.errors import InvalidInputError


class Blockchain(enum.Enum):
    SOLANA = "solana"
    POLYGON = "polygon"


class CongestionLevel(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _non_negative_decimal(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{attribute.name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise InvalidInputError(f"{attribute.name} must be a finite, non-negative amount")


@attrs.frozen(kw_only=True)
class GasQuote:
    """The cost of minting one ticket on ``blockchain``, as estimated now."""

    blockchain: Blockchain
    estimated_fee: Decimal = attrs.field(validator=_non_negative_decimal)
    """In the chain's native unit (SOL, POL)."""
    fee_usd: Decimal = attrs.field(validator=_non_negative_decimal)
    congestion: CongestionLevel


@attrs.frozen
class GasChargePolicy:
    """What a buyer pays towards minting: a flat amount per ticket."""

    per_ticket: Money

    def __attrs_post_init__(self) -> None:
        if self.per_ticket.is_negative:
            raise InvalidInputError("the gas charge per ticket cannot be negative")

    def charge(self, ticket_count: int) -> Money:
        """The gas line of a purchase of ``ticket_count`` tickets; exact, no rounding."""
        if isinstance(ticket_count, bool) or not isinstance(ticket_count, int):
            raise TypeError("ticket_count must be an int")
        if ticket_count < 1:
            raise InvalidInputError("ticket_count must be at least 1")
        return self.per_ticket * ticket_count


def recommend_blockchain(quotes: Sequence[GasQuote]) -> Blockchain:
    """The chain with the cheapest mint in US dollars; ties go to the earlier quote."""
    if not quotes:
        raise InvalidInputError("no gas quotes to choose from")
    return min(quotes, key=lambda quote: quote.fee_usd).blockchain
