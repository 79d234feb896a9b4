"""Bodies of the venue routes (the spec's "Get Venue Balance")."""

from __future__ import annotations

from typing import Annotated

import msgspec

from tt_api.schemas.catalog import Schema


class BalanceBody(Schema):
    available: int
    """Cents ready for payout."""
    pending: int
    """Cents from sales not settled yet (until two days after their event)."""
    reserved: int
    """Cents held against refunds and chargebacks (the rolling reserve, dispute holds)."""
    currency: str


class PayoutInfoBody(Schema):
    available: int
    reserved: int
    payable: int
    """What a payout may take now: the available funds (the reserve is already held apart
    in ``reserved``, so it is not subtracted twice)."""


class VenueBalanceResponse(Schema):
    balance: BalanceBody
    payout_info: PayoutInfoBody


class PayoutRequestBody(Schema):
    amount: Annotated[int, msgspec.Meta(ge=1, le=10**12)]
    """Cents to pay out (at most the payable balance)."""
    instant: bool = False
    """Instant: a 1 % fee, about 30 minutes; standard: free, 1-2 business days."""


class PayoutResponse(Schema):
    success: bool
    message: str
    payout_id: str
    amount: int
    fee: int
    net: int
    type: str
    status: str
    estimated_arrival: str
