"""The webhooks context: provider events as received (``events``: the parsed event, its
payment, refund, dispute or payout, Square's signature), the inbox that keeps each once
(``records``, ``ports``, ``sql``) and the service that applies them (``service``)."""

from tt_payments.webhooks.events import (
    SIGNATURE_TOLERANCE_SECONDS,
    SQUARE_SIGNATURE_HEADER,
    Dispute,
    ProviderEvent,
    WebhookSignatureError,
    metadata_ids,
    parse_square_event,
    square_event,
    uuid_or_none,
    verify_square,
)

__all__ = [
    "SIGNATURE_TOLERANCE_SECONDS",
    "SQUARE_SIGNATURE_HEADER",
    "Dispute",
    "ProviderEvent",
    "WebhookSignatureError",
    "metadata_ids",
    "parse_square_event",
    "square_event",
    "uuid_or_none",
    "verify_square",
]
