"""The future edge of a Stripe delivery's 300 s signature window, with an injected clock.

``verify_stripe_event`` checks the future direction itself against its ``clock``; the past
direction is the stripe SDK's, against the real clock, and only fails here if a test took
more than five minutes.
"""

from __future__ import annotations

import json
import time

import pytest

from tt_payments.providers.stripe.webhooks import stripe_signature_header, verify_stripe_event
from tt_payments.webhooks import WebhookSignatureError

SECRET = "whsec_unit_test_secret"


def delivery(signed_at: int) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": "evt_edge_of_the_window",
            "object": "event",
            "type": "charge.updated",
            "created": signed_at,
            "data": {"object": {}},
        }
    ).encode()
    return body, stripe_signature_header(body, SECRET, signed_at)


def receivers_clock() -> float:
    """A fixed moment, in whole seconds, near the real one (the SDK's past check)."""
    return float(int(time.time()))


@pytest.mark.parametrize("ahead", [0, 299, 300])
def test_a_delivery_signed_at_most_300_s_ahead_of_the_receiver_is_accepted(ahead: int) -> None:
    # Given a delivery signed `ahead` seconds past the receiver's clock
    now = receivers_clock()
    body, header = delivery(int(now) + ahead)
    # When the receiver verifies it
    event = verify_stripe_event(body, header, (SECRET,), clock=lambda: now)
    # Then it is the event that was signed
    assert event.event_id == "evt_edge_of_the_window"


@pytest.mark.parametrize("ahead", [301, 3600])
def test_a_delivery_signed_more_than_300_s_ahead_of_the_receiver_is_refused(ahead: int) -> None:
    # Given a delivery signed `ahead` seconds past the receiver's clock
    now = receivers_clock()
    body, header = delivery(int(now) + ahead)
    # When the receiver verifies it, Then it is refused as signed in the future
    with pytest.raises(WebhookSignatureError, match="more than 300 s ahead"):
        verify_stripe_event(body, header, (SECRET,), clock=lambda: now)


def test_the_future_edge_counts_the_receivers_fraction_of_a_second() -> None:
    # Given a delivery signed 300 s ahead of a whole second, and a receiver a moment later
    now = receivers_clock()
    body, header = delivery(int(now) + 300)
    # When the receiver verifies it half a second before, and half a second after that
    # Then 300.5 s ahead is refused and 299.5 s ahead is accepted
    with pytest.raises(WebhookSignatureError, match="more than 300 s ahead"):
        verify_stripe_event(body, header, (SECRET,), clock=lambda: now - 0.5)
    assert verify_stripe_event(body, header, (SECRET,), clock=lambda: now + 0.5).event_id
