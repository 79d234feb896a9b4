"""Bodies of POST /api/v1/payments/calculate-fees (the spec's shape, plus safe additions)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

import msgspec

from tt_api.schemas.catalog import Schema
from tt_payments.payments.fees import MAX_TICKETS_PER_QUOTE

# Amounts are integer cents; the ceiling keeps every sum far inside a signed 64-bit BIGINT.
Cents = Annotated[int, msgspec.Meta(ge=1, le=100_000_000_000)]


class CalculateFeesRequest(Schema):
    venue_id: uuid.UUID
    amount: Cents
    ticket_count: Annotated[int, msgspec.Meta(ge=1, le=MAX_TICKETS_PER_QUOTE)]
    transaction_date: dt.date | None = None


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


def exact_number(value: Decimal) -> msgspec.Raw:
    """A decimal written into JSON as it is (``7.0`` stays ``7``, never a float's digits)."""
    return msgspec.Raw(format(value.normalize(), "f").encode())
