"""The Stripe event types we act on, and what each says: data, no Stripe SDK.

Kept apart from ``stripe_webhooks`` (which verifies deliveries with the SDK) so that the
composition root can route event types to their handlers without importing Stripe.
"""

from __future__ import annotations

from collections.abc import Mapping

from tt_payments.providers.types import ChargeStatus

# The status each payment_intent.* event announces (the object's own status after a
# payment_failed is requires_payment_method, which says the same thing less directly).
STRIPE_INTENT_STATUSES: Mapping[str, ChargeStatus] = {
    "payment_intent.succeeded": ChargeStatus.SUCCEEDED,
    "payment_intent.payment_failed": ChargeStatus.DECLINED,
    "payment_intent.processing": ChargeStatus.PROCESSING,
    "payment_intent.canceled": ChargeStatus.CANCELED,
    "payment_intent.requires_action": ChargeStatus.REQUIRES_ACTION,
}


STRIPE_PAYMENT_EVENTS = frozenset(STRIPE_INTENT_STATUSES)
"""The Stripe event types that move a payment (the payment use case handles them)."""
STRIPE_REFUND_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)
STRIPE_DISPUTE_EVENTS = frozenset({"charge.dispute.created", "charge.dispute.closed"})
STRIPE_PAYOUT_EVENTS = frozenset(
    {"payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled"}
)
"""Connect events about a venue's payout (sent with the connected ``account``)."""
