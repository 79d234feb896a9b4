"""Bodies of the payment routes: process, transaction status and refund."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from tt_api.schemas.catalog import Schema
from tt_api.schemas.fees import Cents, FeesBody
from tt_payments.payments import MAX_LINES, MAX_QUANTITY_PER_LINE


class TicketBody(Schema):
    ticket_type_id: uuid.UUID
    quantity: Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY_PER_LINE)]
    price: Cents
    """Per ticket, in cents."""
    seat_numbers: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=16)]],
        msgspec.Meta(max_length=MAX_QUANTITY_PER_LINE),
    ] = msgspec.field(default_factory=list)


class PaymentMethodBody(Schema):
    type: Literal["card"]
    payment_method_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class BillingAddressBody(Schema):
    line1: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]
    line2: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    city: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    state: Annotated[str, msgspec.Meta(max_length=100)] | None = None


SESSION_DATA_DESCRIPTION = (
    "What the checkout page saw, for bot detection (optional; without it a high-demand "
    "payment is challenged). `actions`: up to 5000 of `{type, timestamp, x?, y?}` "
    "(`type` mousemove, click, keydown, scroll, touchstart...; `timestamp` integer "
    "milliseconds, never going backwards; `x`, `y` integers). `browserFeatures`: "
    "`webdriver` and `touch` booleans; `languages` as `navigator.languages` gives it (an "
    "array of strings) or a count; `plugins` as `JSON.stringify(navigator.plugins)` gives it "
    "(an object with index keys), an array, or a count; `hardwareConcurrency` and "
    "`maxTouchPoints` non-negative integers; `screen` `{width, height, colorDepth}`; "
    "`userAgent` a string; other keys are kept. A field of the wrong type is 422 naming it."
)
SESSION_DATA_EXAMPLE = {
    "actions": [
        {"type": "mousemove", "timestamp": 1200, "x": 310, "y": 212},
        {"type": "click", "timestamp": 4310, "x": 402, "y": 388},
    ],
    "browserFeatures": {
        "webdriver": False,
        "languages": ["en-US", "en"],
        "plugins": {"0": {}, "1": {}},
        "screen": {"width": 1440, "height": 900, "colorDepth": 24},
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15",
    },
}


class ProcessPaymentRequest(Schema):
    venue_id: uuid.UUID
    event_id: uuid.UUID
    tickets: Annotated[list[TicketBody], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    payment_method: PaymentMethodBody
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "USD"
    device_fingerprint: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    session_data: (
        Annotated[
            dict[str, Any],
            msgspec.Meta(
                description=SESSION_DATA_DESCRIPTION,
                examples=[SESSION_DATA_EXAMPLE],
            ),
        ]
        | None
    ) = None
    """Browser behaviour for bot detection: ``actions`` and ``browserFeatures``."""
    billing_address: BillingAddressBody | None = None
    """Optional; when sent, the event's per-address purchase limit counts by it."""


class TransactionMetadataBody(Schema):
    mint_job_id: str | None = None


class ProcessedTransactionBody(Schema):
    id: uuid.UUID
    amount: int
    total: int
    currency: str
    status: str
    stripe_payment_intent_id: str | None
    metadata: TransactionMetadataBody


class NextActionBody(Schema):
    type: str
    client_secret: str


class ProcessPaymentResponse(Schema, omit_defaults=True):
    success: bool
    transaction: ProcessedTransactionBody
    fees: FeesBody
    nft_status: str
    next_action: NextActionBody | None = None
    message: str | None = None


class TransactionBody(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    venue_id: uuid.UUID
    event_id: uuid.UUID
    amount: int
    total: int
    refunded_amount: int
    currency: str
    status: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    decline_code: str | None
    order_id: uuid.UUID | None = None


class NftStatusBody(Schema):
    job_id: str | None
    status: str
    progress: int
    transaction_hash: str | None


class TransactionResponse(Schema):
    transaction: TransactionBody
    nft_status: NftStatusBody


class RefundRequest(Schema):
    amount: Cents | None = None
    """Cents; the whole refundable remainder when omitted."""
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class RefundBody(Schema):
    id: uuid.UUID
    amount: int
    status: str


class RefundResponse(Schema):
    success: bool
    refund: RefundBody
