"""What the service layer sends to and gets back from a payment processor.

Amounts are ``Money``; statuses are ours, not the processor's, so the use cases never
branch on Stripe's vocabulary. ``idempotency_key`` is derived from our own ids (never
random per call): calling ``charge`` again with the same key after a timeout or a crash
returns the original charge instead of charging twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping

import attrs

from tt_money import Money
from tt_money.errors import TicketTokenError


class ChargeStatus(enum.Enum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    """3-D Secure or similar: the buyer must act; ``client_secret`` lets the client do it."""
    PROCESSING = "processing"
    """Accepted but not final (e.g. bank debits); a webhook or reconciliation finishes it."""
    DECLINED = "declined"
    CANCELED = "canceled"


class RefundStatus(enum.Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@attrs.frozen(kw_only=True)
class ChargeRequest:
    amount: Money
    payment_method_id: str
    idempotency_key: str
    description: str = ""
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    require_three_d_secure: bool = False
    """Ask for 3-D Secure even where the card would not (fraud 'challenge' decisions)."""


@attrs.frozen(kw_only=True)
class Charge:
    provider: str
    provider_payment_id: str
    status: ChargeStatus
    amount: Money
    client_secret: str | None = None
    decline_code: str | None = None
    """The processor's reason, kept verbatim (e.g. ``insufficient_funds``)."""
    failure_message: str | None = None


@attrs.frozen(kw_only=True)
class RefundRequest:
    provider_payment_id: str
    amount: Money
    idempotency_key: str
    reason: str = ""
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    """Ours, echoed back in the processor's webhooks (refund and tenant ids)."""


@attrs.frozen(kw_only=True)
class Refund:
    provider: str
    provider_refund_id: str
    provider_payment_id: str
    amount: Money
    status: RefundStatus
    failure_reason: str | None = None


class ProviderUnavailableError(TicketTokenError):
    """The processor did not answer (timeout, connection lost): the outcome is UNKNOWN.

    The charge may or may not have happened. Callers must not treat this as a decline;
    they retry with the same idempotency key or leave the payment for reconciliation.
    """

    default_code = "PROVIDER_UNAVAILABLE"


class ProviderRejectedError(TicketTokenError):
    """The processor refused the request itself (bad parameters, unknown id): our bug or
    bad input, not a decline of the buyer's card."""

    default_code = "PROVIDER_ERROR"


def provider_idempotency_key(tenant_id: uuid.UUID, object_id: uuid.UUID, action: str) -> str:
    """The processor-side key for ``action`` on our object: stable across retries."""
    return str(uuid.uuid5(tenant_id, f"{action}:{object_id}"))


@attrs.frozen(kw_only=True)
class ListedCharge:
    """A payment as the processor lists it: its state now, our metadata, when created."""

    charge: Charge
    metadata: Mapping[str, str]
    created: dt.datetime


@attrs.frozen(kw_only=True)
class ListedRefund:
    refund: Refund
    metadata: Mapping[str, str]
    created: dt.datetime
