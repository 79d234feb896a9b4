"""What the webhook routes answer the provider."""

from __future__ import annotations

from tt_api.schemas.catalog import Schema


class WebhookAck(Schema):
    received: bool
    duplicate: bool
    outcome: str
