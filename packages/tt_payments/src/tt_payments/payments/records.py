"""Payments as the service layer sees them: what a buyer asks for and what we recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import attrs

from tt_ledger import PaymentStatus, RefundStatus, refund_states
from tt_money import Money
from tt_money.errors import InvalidInputError, NotFoundError

MAX_QUANTITY_PER_LINE = 10
MAX_LINES = 20


class TransactionNotFoundError(NotFoundError):
    default_code = "TRANSACTION_NOT_FOUND"


class PaymentFailedError(InvalidInputError):
    """The processor declined the card (HTTP 402); the transaction is recorded as failed."""

    default_code = "PAYMENT_FAILED"

    def __init__(
        self, message: str, *, decline_code: str | None, transaction_id: uuid.UUID
    ) -> None:
        super().__init__(message)
        self.decline_code = decline_code
        self.transaction_id = transaction_id


class PaymentNotRefundableError(InvalidInputError):
    default_code = "PAYMENT_NOT_REFUNDABLE"


@attrs.frozen(kw_only=True)
class TicketLine:
    ticket_type_id: uuid.UUID
    quantity: int
    price: Money
    """Per ticket."""
    seat_numbers: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.quantity <= MAX_QUANTITY_PER_LINE:
            raise InvalidInputError(
                "Validation failed",
                details=(("quantity", f"must be between 1 and {MAX_QUANTITY_PER_LINE}"),),
            )
        if not self.price.is_positive:
            raise InvalidInputError(
                "Validation failed",
                details=(("price", "must be a positive integer number of cents"),),
            )
        if self.seat_numbers and len(self.seat_numbers) != self.quantity:
            raise InvalidInputError(
                "Validation failed",
                details=(("seatNumbers", "must list one seat per ticket, or none"),),
            )

    @property
    def subtotal(self) -> Money:
        return self.price * self.quantity


@attrs.frozen(kw_only=True)
class PaymentRequest:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    venue_id: uuid.UUID
    event_id: uuid.UUID
    idempotency_key: uuid.UUID
    tickets: tuple[TicketLine, ...]
    payment_method_id: str
    payment_method_type: str = "card"
    device_fingerprint: str | None = None
    address_fingerprint: str | None = None
    """``address_fingerprint(...)`` of the buyer's billing address, when sent: the
    per-address purchase limit counts by it."""

    def __attrs_post_init__(self) -> None:
        if not 1 <= len(self.tickets) <= MAX_LINES:
            raise InvalidInputError(
                "Validation failed", details=(("tickets", f"must hold 1 to {MAX_LINES} lines"),)
            )
        currencies = {line.price.currency for line in self.tickets}
        if len(currencies) != 1:
            raise InvalidInputError(
                "Validation failed", details=(("tickets", "must all be in one currency"),)
            )

    @property
    def ticket_count(self) -> int:
        return sum(line.quantity for line in self.tickets)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of what the buyer asked for (not who or which key): a retry under the
        same key must ask for the same thing, or it is a different request."""
        canonical = json.dumps(
            {
                "venue": str(self.venue_id),
                "event": str(self.event_id),
                "tickets": [
                    [
                        str(line.ticket_type_id),
                        line.quantity,
                        line.price.minor,
                        line.price.currency.code,
                        list(line.seat_numbers),
                    ]
                    for line in self.tickets
                ],
                "method": [self.payment_method_type, self.payment_method_id],
                **({"address": self.address_fingerprint} if self.address_fingerprint else {}),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def subtotal(self) -> Money:
        first, *rest = (line.subtotal for line in self.tickets)
        for amount in rest:
            first += amount
        return first


@attrs.frozen(kw_only=True)
class PaymentRecord:
    """A row of payment_transactions, with what the API shows about it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    venue_id: uuid.UUID
    event_id: uuid.UUID
    status: PaymentStatus
    amount: Money
    """The tickets' price (the spec's ``amount``)."""
    total: Money
    """What the buyer was charged: tickets, fees, gas and tax."""
    platform_fee: Money
    gas_fee: Money
    tax_amount: Money
    processing_cost: Money
    refunded: Money
    provider: str
    provider_payment_id: str | None
    decline_code: str | None
    failure_message: str | None
    idempotency_key: uuid.UUID | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    mint_job_id: uuid.UUID | None = None
    mint_status: str | None = None
    mint_transaction_hash: str | None = None
    order_id: uuid.UUID | None = None

    @property
    def refundable(self) -> Money:
        return self.total - self.refunded


@attrs.frozen(kw_only=True)
class RefundRecord:
    id: uuid.UUID
    transaction_id: uuid.UUID
    amount: Money
    status: RefundStatus
    """Where tt_ledger's refund state machine has it (spec payment_refunds.status). A
    refund is recorded processing: it is sent to the processor in the same request."""
    provider_refund_id: str | None = None
    reason: str = ""
    created_at: dt.datetime | None = None

    @property
    def settled(self) -> bool:
        """Completed or failed: the refund state machine moves it no further."""
        return refund_states.is_terminal(self.status)


def address_fingerprint(*parts: str | None) -> str:
    """A stable hash of a postal address: case, spacing and punctuation do not matter, so
    "12 Main St." and "12 main st" count as one address for the purchase limits."""
    words = []
    for part in parts:
        if part:
            cleaned = "".join(ch if ch.isalnum() else " " for ch in part.casefold())
            words.append(" ".join(cleaned.split()))
    return hashlib.sha256("|".join(words).encode()).hexdigest()
