"""POST /api/v1/webhooks/stripe and /square: signed by the provider, no bearer token.

The signature is checked over the raw bytes before anything is parsed or stored; a bad
or missing one is 400 INVALID_SIGNATURE and leaves no trace. A verified delivery answers
200 once it is in the inbox, whether it applied now, was a duplicate, or failed and will
be retried from the inbox (the provider need not redeliver it).
"""

from __future__ import annotations

from litestar import Controller, Request, post

from tt_api.dependencies import SettingsDep, WebhooksDep
from tt_api.schemas.webhooks import WebhookAck
from tt_payments.providers.stripe.webhooks import verify_stripe_event
from tt_payments.webhooks import SQUARE_SIGNATURE_HEADER, parse_square_event, verify_square


class WebhooksController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @post(
        "/stripe",
        operation_id="stripeWebhook",
        summary="Stripe events, verified with the Stripe-Signature header",
        status_code=200,
    )
    async def stripe(
        self,
        request: Request[object, object, object],
        settings: SettingsDep,
        webhooks: WebhooksDep,
    ) -> WebhookAck:
        body = await request.body()
        event = verify_stripe_event(
            body,
            request.headers.get("stripe-signature"),
            settings.stripe_webhook_secrets,
        )
        outcome = await webhooks.receive(event)
        return WebhookAck(received=True, duplicate=outcome == "duplicate", outcome=outcome)

    @post(
        "/square",
        operation_id="squareWebhook",
        summary="Square events, verified with x-square-hmacsha256-signature",
        status_code=200,
    )
    async def square(
        self,
        request: Request[object, object, object],
        settings: SettingsDep,
        webhooks: WebhooksDep,
    ) -> WebhookAck:
        body = await request.body()
        signature = request.headers.get(SQUARE_SIGNATURE_HEADER)
        verify_square(
            body,
            signature,
            notification_url=settings.square_webhook_url or str(request.url),
            keys=settings.square_webhook_signature_keys,
        )
        event = parse_square_event(body, signature or "")
        outcome = await webhooks.receive(event)
        return WebhookAck(received=True, duplicate=outcome == "duplicate", outcome=outcome)
