"""Stripe webhook deliveries: signature checked by the stripe SDK, event read from JSON.

``stripe.WebhookSignature.verify_header`` checks the ``Stripe-Signature`` header (HMAC
over ``timestamp.body``, constant-time) and refuses timestamps older than the tolerance;
it accepts any timestamp in the future, so that direction is checked here. Several
secrets may be configured during a rotation (TT_STRIPE_WEBHOOK_SECRETS); any one that
verifies is enough.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import stripe

from tt_money import Money
from tt_money.errors import InvalidInputError
from tt_payments.providers.payouts import PayoutResult
from tt_payments.providers.stripe.event_types import (
    STRIPE_DISPUTE_EVENTS,
    STRIPE_INTENT_STATUSES,
    STRIPE_PAYOUT_EVENTS,
    STRIPE_REFUND_EVENTS,
)
from tt_payments.providers.stripe.payouts import stripe_payout_result
from tt_payments.providers.types import Charge, ChargeStatus, Refund, RefundStatus
from tt_payments.webhooks import (
    SIGNATURE_TOLERANCE_SECONDS,
    Dispute,
    ProviderEvent,
    WebhookSignatureError,
    metadata_ids,
    uuid_or_none,
)

_REFUND_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}


def verify_stripe_event(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    clock: Callable[[], float] = time.time,
) -> ProviderEvent:
    """The delivery as a ``ProviderEvent`` if one of ``secrets`` signed it recently."""
    if not secrets:
        raise WebhookSignatureError("no Stripe webhook secret is configured")
    if not header:
        raise WebhookSignatureError("the Stripe-Signature header is missing")
    signed_at = _signed_at(header)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookSignatureError("the body is not UTF-8: Stripe did not send it") from None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                body, header, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            if "timestamp outside the tolerance" in str(error).lower():
                raise WebhookSignatureError(
                    "the Stripe-Signature timestamp is more than 300 s old"
                ) from None
            continue
        break
    else:
        raise WebhookSignatureError("no configured secret verifies the Stripe-Signature")
    if signed_at - clock() > SIGNATURE_TOLERANCE_SECONDS:
        raise WebhookSignatureError("the Stripe-Signature timestamp is more than 300 s ahead")
    try:
        payload = json.loads(body)
    except ValueError:
        raise InvalidInputError("Validation failed", details=(("body", "not JSON"),)) from None
    return stripe_event(payload, signature=header)


def stripe_event(payload: Mapping[str, Any], *, signature: str) -> ProviderEvent:
    """An event read from Stripe's JSON (fresh, or stored in the inbox)."""
    try:
        event_id = str(payload["id"])
        event_type = str(payload["type"])
        created = dt.datetime.fromtimestamp(int(payload["created"]), dt.UTC)
        obj = payload["data"]["object"]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInputError(
            "Validation failed", details=(("body", f"not a Stripe event: {error}"),)
        ) from None
    charge: Charge | None = None
    refund: Refund | None = None
    dispute: Dispute | None = None
    payout: PayoutResult | None = None
    provider_payment_id: str | None = None
    metadata: Mapping[str, Any] | None = None
    if isinstance(obj, Mapping):
        metadata = obj.get("metadata")
        if isinstance(obj.get("payment_intent"), str):
            provider_payment_id = obj["payment_intent"]
        if event_type in STRIPE_INTENT_STATUSES:
            charge = _charge(obj, STRIPE_INTENT_STATUSES[event_type])
            provider_payment_id = charge.provider_payment_id
        elif event_type in STRIPE_REFUND_EVENTS and provider_payment_id:
            refund = Refund(
                provider="stripe",
                provider_refund_id=str(obj["id"]),
                provider_payment_id=provider_payment_id,
                amount=Money.of(int(obj["amount"]), str(obj["currency"])),
                status=_REFUND_STATUSES.get(str(obj.get("status")), RefundStatus.PENDING),
                failure_reason=obj.get("failure_reason"),
            )
        elif event_type in STRIPE_PAYOUT_EVENTS:
            payout = stripe_payout_result(obj)
        elif event_type in STRIPE_DISPUTE_EVENTS and provider_payment_id:
            dispute = Dispute(
                provider_dispute_id=str(obj["id"]),
                provider_payment_id=provider_payment_id,
                amount=Money.of(int(obj["amount"]), str(obj["currency"])),
                status=str(obj.get("status", "")),
            )
    tenant_id, payment_id = metadata_ids(metadata)
    refund_id = uuid_or_none((metadata or {}).get("refundId")) if refund else None
    payout_id = uuid_or_none((metadata or {}).get("payoutId")) if payout else None
    return ProviderEvent(
        payout=payout,
        payout_id=payout_id,
        refund=refund,
        refund_id=refund_id,
        dispute=dispute,
        provider="stripe",
        event_id=event_id,
        event_type=event_type,
        created=created,
        payload=payload,
        signature=signature,
        tenant_id=tenant_id,
        payment_id=payment_id,
        provider_payment_id=provider_payment_id,
        charge=charge,
    )


def _charge(intent: Mapping[str, Any], status: ChargeStatus) -> Charge:
    error = intent.get("last_payment_error") or {}
    declined = status is ChargeStatus.DECLINED
    return Charge(
        provider="stripe",
        provider_payment_id=str(intent["id"]),
        status=status,
        amount=Money.of(int(intent["amount"]), str(intent["currency"])),
        client_secret=intent.get("client_secret")
        if status is ChargeStatus.REQUIRES_ACTION
        else None,
        decline_code=(error.get("decline_code") or error.get("code")) if declined else None,
        failure_message=error.get("message") if declined else None,
    )


def _signed_at(header: str) -> int:
    """The header's one timestamp, read exactly as the SDK reads it (``t=`` items split on
    ``,`` and ``=``, nothing stripped): a header with two is refused, so the timestamp we
    check for the future is the one the signature covers."""
    stamps = [item.split("=", 2) for item in header.split(",")]
    found = [parts[1] for parts in stamps if parts[0] == "t" and len(parts) > 1]
    if len(found) != 1 or not found[0].isdigit():
        raise WebhookSignatureError("the Stripe-Signature header needs exactly one timestamp")
    return int(found[0])


def stripe_signature_header(body: bytes, secret: str, timestamp: int) -> str:
    """The header Stripe would send (for our tests and local tools)."""
    signed = f"{timestamp}.{body.decode()}"
    return f"t={timestamp},v1={stripe.WebhookSignature._compute_signature(signed, secret)}"
