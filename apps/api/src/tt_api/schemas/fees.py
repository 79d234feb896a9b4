"""Bodies of POST /api/v1/payments/calculate-fees (the spec's shape, plus safe additions)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

import msgspec

from tt_api.schemas.catalog import Schema
from tt_payments.payments.fees import MAX_TICKETS_PER_QUOTE
from tt_payments.payments.records import MAX_LINES, MAX_QUANTITY_PER_LINE

# Amounts are integer cents; the ceiling keeps every sum far inside a signed 64-bit BIGINT.
Cents = Annotated[int, msgspec.Meta(ge=1, le=100_000_000_000)]


class FeeTicketLineBody(Schema):
    ticket_type_id: uuid.UUID
    quantity: Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY_PER_LINE)]


class CalculateFeesRequest(Schema):
    """Either the spec's ``amount`` + ``ticketCount`` (the caller's total), or ``eventId`` +
    ``tickets`` (ticket lines, priced from the ticket catalog as a payment would be)."""

    venue_id: uuid.UUID
    amount: Cents | None = None
    ticket_count: Annotated[int, msgspec.Meta(ge=1, le=MAX_TICKETS_PER_QUOTE)] | None = None
    event_id: uuid.UUID | None = None
    tickets: (
        Annotated[list[FeeTicketLineBody], msgspec.Meta(min_length=1, max_length=MAX_LINES)] | None
    ) = None
    transaction_date: dt.date | None = None


class PricedLineBody(Schema):
    ticket_type_id: str
    name: str
    quantity: int
    price: int
    """Per ticket, in cents, as the catalog has it now."""
    subtotal: int


class FeesBody(Schema):
    ticket_price: int
    platform_fee: int
    gas_estimate: int
    state_tax: int
    local_tax: int
    special_tax: int
    total: int


class GasEstimateBody(msgspec.Struct, rename="camel"):
    blockchain: str
    # Exact decimals written as JSON numbers without ever becoming a float.
    estimated_fee: msgspec.Raw
    fee_in_usd: msgspec.Raw = msgspec.field(name="feeInUSD")
    congestion_level: str


class TaxLineBody(Schema):
    name: str
    rate: msgspec.Raw
    amount: int


class CalculateFeesResponse(Schema):
    fees: FeesBody
    gas_estimates: dict[str, GasEstimateBody]
    recommended_blockchain: str
    total: int
    currency: str
    tier: str
    platform_fee_bps: int
    tax_date: dt.date
    tax_breakdown: dict[str, TaxLineBody]
    tax_source: str = "tables"
    """Whose rates taxed it: ``taxjar``, or ``tables`` (also when TaxJar failed)."""
    tickets: list[PricedLineBody] | None = None
    """The ticket lines as priced, when the request sent ``eventId`` + ``tickets``."""


def exact_number(value: Decimal) -> msgspec.Raw:
    """A decimal written into JSON as it is (``7.0`` stays ``7``, never a float's digits)."""
    return msgspec.Raw(format(value.normalize(), "f").encode())
