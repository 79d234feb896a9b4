"""Provider webhooks: what arrives, how Square signs it, and how it is deduplicated.

Stripe's signature is checked with the stripe SDK (``adapters/stripe_webhooks.py``);
Square's is a plain HMAC and lives here. Either way a delivery becomes a
``ProviderEvent``, is written to the ``webhook_inbox`` (unique per provider and event id)
BEFORE it is processed, and is applied at most once (``webhooks.service``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from tt_money import Money
from tt_money.errors import InvalidInputError
from tt_payments.clock import utcnow
from tt_payments.providers.payouts import PayoutResult
from tt_payments.providers.types import Charge, Refund

SIGNATURE_TOLERANCE_SECONDS = 300
SQUARE_SIGNATURE_HEADER = "x-square-hmacsha256-signature"


class WebhookSignatureError(InvalidInputError):
    """The delivery is not provably from the provider (400, nothing stored)."""

    default_code = "INVALID_SIGNATURE"


@attrs.frozen(kw_only=True)
class ProviderEvent:
    provider: str
    event_id: str
    event_type: str
    created: dt.datetime
    payload: Mapping[str, Any]
    """The whole event as the provider sent it (stored in the inbox)."""
    signature: str
    tenant_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    """Our transaction id, when the event's object carries it in its metadata."""
    provider_payment_id: str | None = None
    charge: Charge | None = None
    """For payment events: the processor's view of the payment, as a ``Charge``."""
    refund: Refund | None = None
    """For refund events: the processor's view of the refund."""
    refund_id: uuid.UUID | None = None
    """Our refund's id, when the refund's metadata carries it."""
    dispute: Dispute | None = None
    payout: PayoutResult | None = None
    """For payout events: the provider's view of a venue payout."""
    payout_id: uuid.UUID | None = None
    """Our payout's id, from the payout's metadata."""


@attrs.frozen(kw_only=True)
class Dispute:
    """A card dispute (chargeback) on a payment, as the processor reports it."""

    provider_dispute_id: str
    provider_payment_id: str
    amount: Money
    status: str
    """Processor words: ``needs_response``, ``under_review``, ``won``, ``lost``, ..."""


def metadata_ids(metadata: Mapping[str, Any] | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(tenant, transaction) from the metadata we attach to every charge, if present."""
    if not metadata:
        return None, None
    return uuid_or_none(metadata.get("tenantId")), uuid_or_none(metadata.get("transactionId"))


def uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def verify_square(
    body: bytes, signature: str | None, *, notification_url: str, keys: Sequence[str]
) -> None:
    """Square: base64 HMAC-SHA256 of notification URL + body under a signature key.

    Several keys may be configured while one is rotated; any match is accepted.
    """
    if not keys:
        raise WebhookSignatureError("no Square webhook signature key is configured")
    if not signature:
        raise WebhookSignatureError(f"the {SQUARE_SIGNATURE_HEADER} header is missing")
    message = notification_url.encode() + body
    for key in keys:
        expected = base64.b64encode(
            hmac.new(key.encode(), message, hashlib.sha256).digest()
        ).decode()
        if hmac.compare_digest(expected, signature):
            return
    raise WebhookSignatureError("the Square signature does not match")


def parse_square_event(
    body: bytes, signature: str, *, now: dt.datetime | None = None
) -> ProviderEvent:
    """A verified Square notification as a ``ProviderEvent``.

    Square signs no timestamp, so the 300 s window applies to the event's ``created_at``
    only in the future direction; its redeliveries of older events are legitimate and
    the inbox deduplicates them.
    """
    try:
        payload = json.loads(body)
    except ValueError:
        raise InvalidInputError("Validation failed", details=(("body", "not JSON"),)) from None
    event = square_event(payload, signature=signature)
    current = now or utcnow()
    if (event.created - current).total_seconds() > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookSignatureError("the event is dated more than 300 s in the future")
    return event


def square_event(payload: Mapping[str, Any], *, signature: str) -> ProviderEvent:
    """An event read from Square's JSON (fresh, or stored in the inbox)."""
    try:
        event_id = str(payload["event_id"])
        event_type = str(payload["type"])
        created = dt.datetime.fromisoformat(str(payload["created_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInputError(
            "Validation failed", details=(("body", f"not a Square event: {error}"),)
        ) from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return ProviderEvent(
        provider="square",
        event_id=event_id,
        event_type=event_type,
        created=created,
        payload=payload,
        signature=signature,
    )
