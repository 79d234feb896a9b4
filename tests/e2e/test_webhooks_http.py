"""POST /api/v1/webhooks/stripe and /square over HTTP, against real PostgreSQL and Redis.

Signatures (each forgery refused, nothing stored), deduplication in Redis and in the
inbox (also with Redis down), payment events applied once through the same settlement as
a live payment, late events ignored without moving state back, and a storm of shuffled
redeliveries.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import httpx
import pytest
import redis.asyncio
import sqlalchemy as sa

from tests.conftest import (
    SQUARE_SIGNATURE_KEY,
    SQUARE_WEBHOOK_URL,
    STRIPE_WEBHOOK_SECRETS,
    AuthHeaders,
)
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Container
from tt_payments.adapters.stripe_webhooks import stripe_signature_header
from tt_payments.adapters.tables import (
    ledger_entries,
    payment_event_sequence,
    payment_transactions,
    webhook_inbox,
)
from tt_payments.adapters.webhook_seen_redis import RedisSeenWebhooks
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider

STRIPE = "/api/v1/webhooks/stripe"
SQUARE = "/api/v1/webhooks/square"


def stripe_event(
    event_type: str,
    payment: dict[str, Any],
    *,
    event_id: str | None = None,
    intent_id: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """A Stripe event about one of our payments, as Stripe would send it."""
    status = {
        "payment_intent.succeeded": "succeeded",
        "payment_intent.payment_failed": "requires_payment_method",
        "payment_intent.processing": "processing",
        "payment_intent.canceled": "canceled",
        "payment_intent.requires_action": "requires_action",
    }[event_type]
    intent: dict[str, Any] = {
        "id": intent_id or payment["intentId"],
        "object": "payment_intent",
        "amount": payment["total"] if amount is None else amount,
        "currency": "usd",
        "status": status,
        "metadata": {"transactionId": payment["id"], "tenantId": payment["tenantId"]},
    }
    if event_type == "payment_intent.payment_failed":
        intent["last_payment_error"] = {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        }
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": intent},
    }


def stripe_headers(
    raw: bytes, *, secret: str = STRIPE_WEBHOOK_SECRETS[1], timestamp: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "Stripe-Signature": stripe_signature_header(raw, secret, stamp),
    }


async def deliver(client: httpx.AsyncClient, event: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(event).encode()
    return await client.post(STRIPE, content=raw, headers=stripe_headers(raw))


async def processing_payment(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> dict[str, Any]:
    """A payment the processor charged but whose answer we never got (left processing)."""
    provider = container.provider
    assert isinstance(provider, SimulatedProvider)
    venue, event = await venue_and_event(client, auth)
    provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert response.status_code == 202, response.text
    transaction = response.json()["transaction"]
    assert transaction["status"] == "processing"
    return {
        "id": transaction["id"],
        "total": transaction["total"],
        "tenantId": str(tenant),
        "intentId": f"pi_{uuid.uuid4().hex[:24]}",
    }


async def status_of(container: Container, payment: dict[str, Any]) -> str:
    async with container.engine.connect() as connection:
        return str(
            (
                await connection.execute(
                    sa.select(payment_transactions.c.status).where(
                        payment_transactions.c.tenant_id == uuid.UUID(payment["tenantId"]),
                        payment_transactions.c.id == uuid.UUID(payment["id"]),
                    )
                )
            ).scalar_one()
        )


async def count(container: Container, query: sa.Select[Any]) -> int:
    async with container.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def entries_for(container: Container, payment: dict[str, Any]) -> int:
    return await count(
        container,
        sa.select(sa.func.count())
        .select_from(ledger_entries)
        .where(ledger_entries.c.reference_id == uuid.UUID(payment["id"])),
    )


async def inbox_rows(container: Container, event_id: str) -> int:
    return await count(
        container,
        sa.select(sa.func.count())
        .select_from(webhook_inbox)
        .where(webhook_inbox.c.webhook_id == event_id),
    )


# --- signatures ---------------------------------------------------------------------


def _tampered(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw.replace(b'"amount": ', b'"amount": 1'), stripe_headers(raw)


def _wrong_secret(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw, stripe_headers(raw, secret="whsec_someone_else")


def _old(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw, stripe_headers(raw, timestamp=int(time.time()) - 301)


def _ahead(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw, stripe_headers(raw, timestamp=int(time.time()) + 301)


def _missing(raw: bytes) -> tuple[bytes, dict[str, str]]:
    return raw, {"Content-Type": "application/json"}


def _one_changed_byte(raw: bytes) -> tuple[bytes, dict[str, str]]:
    headers = stripe_headers(raw)
    signature = headers["Stripe-Signature"]
    last = "0" if signature[-1] != "0" else "1"
    headers["Stripe-Signature"] = signature[:-1] + last
    return raw, headers


FORGERIES: dict[str, Callable[[bytes], tuple[bytes, dict[str, str]]]] = {
    "tampered body": _tampered,
    "wrong secret": _wrong_secret,
    "timestamp 301 s old": _old,
    "timestamp 301 s ahead": _ahead,
    "missing header": _missing,
    "one changed byte": _one_changed_byte,
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
async def test_a_forged_stripe_delivery_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    tenant: uuid.UUID,
    name: str,
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    event = stripe_event("payment_intent.succeeded", payment)
    sent, headers = FORGERIES[name](json.dumps(event).encode())
    response = await client.post(STRIPE, content=sent, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert await inbox_rows(container, event["id"]) == 0
    assert await status_of(container, payment) == "processing"


async def test_either_secret_of_a_rotation_is_accepted(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    raw = json.dumps(stripe_event("payment_intent.processing", payment)).encode()
    response = await client.post(
        STRIPE, content=raw, headers=stripe_headers(raw, secret=STRIPE_WEBHOOK_SECRETS[0])
    )
    assert response.status_code == 200, response.text


# --- applying payment events ----------------------------------------------------------


async def test_a_success_webhook_finishes_a_payment_left_processing_exactly_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a payment left processing by a processor timeout
    payment = await processing_payment(client, auth, container, tenant)
    event = stripe_event("payment_intent.succeeded", payment)
    # When Stripe says it succeeded, three times
    answers = [await deliver(client, event) for _ in range(3)]
    # Then it applied once: completed, one capture entry, the rest duplicates
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json()["outcome"] for answer in answers] == [
        "applied",
        "duplicate",
        "duplicate",
    ]
    assert await status_of(container, payment) == "completed"
    assert await entries_for(container, payment) == 1
    assert await inbox_rows(container, event["id"]) == 1
    report = await container.ledger.verify()
    assert report.ok, report


async def test_a_late_processing_event_is_recorded_and_never_moves_state_back(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    succeeded = await deliver(client, stripe_event("payment_intent.succeeded", payment))
    late = await deliver(client, stripe_event("payment_intent.processing", payment))
    assert succeeded.json()["outcome"] == "applied"
    assert late.json()["outcome"] == "ignored"
    assert await status_of(container, payment) == "completed"
    rows = await count(
        container,
        sa.select(sa.func.count())
        .select_from(payment_event_sequence)
        .where(
            payment_event_sequence.c.payment_id == uuid.UUID(payment["id"]),
            payment_event_sequence.c.status == "ignored",
        ),
    )
    assert rows == 1


async def test_a_failure_webhook_fails_the_payment_with_its_decline_code(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    answer = await deliver(client, stripe_event("payment_intent.payment_failed", payment))
    assert answer.json()["outcome"] == "applied"
    assert await status_of(container, payment) == "failed"
    assert await entries_for(container, payment) == 0
    # A success after the failure contradicts a final state: recorded, ignored
    contradiction = await deliver(client, stripe_event("payment_intent.succeeded", payment))
    assert contradiction.json()["outcome"] == "ignored"
    assert await status_of(container, payment) == "failed"
    assert await entries_for(container, payment) == 0


async def test_an_event_with_another_amount_is_not_applied(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    event = stripe_event("payment_intent.succeeded", payment, amount=payment["total"] + 1)
    answer = await deliver(client, event)
    assert answer.json()["outcome"] == "mismatch"
    assert await status_of(container, payment) == "processing"
    assert await entries_for(container, payment) == 0


async def test_an_event_for_an_unknown_payment_is_kept_and_marked_for_retry(
    client: httpx.AsyncClient, container: Container
) -> None:
    stranger = {
        "id": str(uuid.uuid4()),
        "total": 1000,
        "tenantId": str(uuid.uuid4()),
        "intentId": "pi_unknown",
    }
    event = stripe_event("payment_intent.succeeded", stranger)
    answer = await deliver(client, event)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "failed"
    row = await container.webhooks.inbox.get("stripe", event["id"])
    assert row is not None
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error_message is not None
    assert "no payment" in row.error_message


async def test_an_event_type_without_a_handler_is_stored_and_answered(
    client: httpx.AsyncClient, container: Container
) -> None:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    answer = await deliver(client, event)
    assert answer.json()["outcome"] == "unhandled"
    row = await container.webhooks.inbox.get("stripe", event["id"])
    assert row is not None
    assert (row.status, row.outcome) == ("processed", "no handler")


async def test_with_redis_down_the_inbox_still_refuses_the_duplicate(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    payment = await processing_payment(client, auth, container, tenant)
    event = stripe_event("payment_intent.succeeded", payment)
    dead = redis.asyncio.Redis(port=1, socket_connect_timeout=0.2)
    original = container.webhooks
    container.webhooks = attrs.evolve(original, seen=RedisSeenWebhooks(dead))
    try:
        answers = [await deliver(client, event) for _ in range(3)]
    finally:
        container.webhooks = original
        await dead.aclose()
    assert [answer.json()["outcome"] for answer in answers] == [
        "applied",
        "duplicate",
        "duplicate",
    ]
    assert await entries_for(container, payment) == 1


# --- a storm of redeliveries ------------------------------------------------------------

STORM_PAYMENTS = int(os.environ.get("TT_WEBHOOK_STORM_PAYMENTS", "30"))


async def test_shuffled_redeliveries_apply_each_event_once_and_never_move_back(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given payments left processing, each with a story: processing then succeeded, or
    # requires_action then processing then succeeded, or failed
    rng = random.Random(20261126)
    payments = [
        await processing_payment(client, auth, container, tenant) for _ in range(STORM_PAYMENTS)
    ]
    stories = {
        "success": ["payment_intent.processing", "payment_intent.succeeded"],
        "3ds": [
            "payment_intent.requires_action",
            "payment_intent.processing",
            "payment_intent.succeeded",
        ],
        "failure": ["payment_intent.processing", "payment_intent.payment_failed"],
    }
    expected: dict[str, str] = {}
    deliveries: list[dict[str, Any]] = []
    for payment in payments:
        story = rng.choice(sorted(stories))
        expected[payment["id"]] = "failed" if story == "failure" else "completed"
        for event_type in stories[story]:
            event = stripe_event(event_type, payment)
            deliveries.extend([event] * rng.randint(1, 5))
    rng.shuffle(deliveries)
    # When they arrive shuffled, 16 at a time
    semaphore = asyncio.Semaphore(16)

    async def send(event: dict[str, Any]) -> int:
        async with semaphore:
            return (await deliver(client, event)).status_code

    codes = await asyncio.gather(*(send(event) for event in deliveries))
    assert set(codes) == {200}
    await container.payments.process_held_events()
    # Then every payment ends where its story ends, with one entry per completed payment
    for payment in payments:
        assert await status_of(container, payment) == expected[payment["id"]], payment
        assert await entries_for(container, payment) == (
            1 if expected[payment["id"]] == "completed" else 0
        )
    assert await container.payments.payments.count_held_events() == 0
    report = await container.ledger.verify()
    assert report.ok, report


# --- Square ---------------------------------------------------------------------------


def square_headers(raw: bytes, key: str = SQUARE_SIGNATURE_KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), SQUARE_WEBHOOK_URL.encode() + raw, hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "x-square-hmacsha256-signature": base64.b64encode(digest).decode(),
    }


def square_event() -> dict[str, Any]:
    return {
        "merchant_id": "M1",
        "type": "payment.updated",
        "event_id": str(uuid.uuid4()),
        "created_at": "2026-11-26T07:00:00Z",
        "data": {"type": "payment", "id": "sq_1", "object": {"payment": {"id": "sq_1"}}},
    }


async def test_a_square_delivery_is_verified_stored_once_and_answered(
    client: httpx.AsyncClient, container: Container
) -> None:
    event = square_event()
    raw = json.dumps(event).encode()
    first = await client.post(SQUARE, content=raw, headers=square_headers(raw))
    again = await client.post(SQUARE, content=raw, headers=square_headers(raw))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["duplicate"] is True
    row = await container.webhooks.inbox.get("square", event["event_id"])
    assert row is not None


@pytest.mark.parametrize("forgery", ["wrong key", "tampered", "missing"])
async def test_a_forged_square_delivery_is_refused(
    client: httpx.AsyncClient, container: Container, forgery: str
) -> None:
    event = square_event()
    raw = json.dumps(event).encode()
    headers = square_headers(
        raw, key="not-the-key" if forgery == "wrong key" else SQUARE_SIGNATURE_KEY
    )
    if forgery == "missing":
        del headers["x-square-hmacsha256-signature"]
    sent = raw.replace(b"M1", b"M2") if forgery == "tampered" else raw
    response = await client.post(SQUARE, content=sent, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert await container.webhooks.inbox.get("square", event["event_id"]) is None
