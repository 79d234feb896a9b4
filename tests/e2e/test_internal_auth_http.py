"""Signed service-to-service requests: POST /internal/payment-complete over HTTP.

The signature suite of issue 4: a tampered body, a wrong secret, a timestamp an hour old
or ahead, a missing header, a replayed nonce and one changed byte of the signature are
refused every time; a correctly signed request goes through once. Over HTTP the stale
timestamps are an hour off, so no delay between signing and checking can move them back
inside the 300 s window; the exact boundary (300 s accepted, 301 s refused, both ways) is
proven with an injected clock in tests/unit/tt_payments/test_internal_signing.py.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid

import httpx
import pytest
import redis.asyncio
import sqlalchemy as sa

from tests.conftest import INTERNAL_SECRETS, AuthHeaders, service_with
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Container, Overrides, Settings
from tt_payments.adapters.nonce_redis import RedisNonceStore
from tt_payments.auth.internal import signed_headers
from tt_payments.db.tables.payments import payment_transactions

PATH = "/internal/payment-complete"


def signed(
    payload: bytes,
    *,
    service: str = "order-service",
    secret: str | None = None,
    timestamp: int | None = None,
    nonce: str | None = None,
    path: str = PATH,
    raw_query: str = "",
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        **signed_headers(
            service=service,
            secret=secret or INTERNAL_SECRETS[service],
            method="POST",
            path=path,
            raw_query=raw_query,
            body=payload,
            nonce=nonce or secrets.token_hex(16),
            timestamp=timestamp,
        ),
    }


async def paid_payment(client: httpx.AsyncClient, auth: AuthHeaders) -> str:
    venue, event = await venue_and_event(client, auth)
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert response.status_code == 200, response.text
    return str(response.json()["transaction"]["id"])


def complete(order: str, payment: str) -> bytes:
    return json.dumps({"orderId": order, "paymentId": payment}).encode()


async def test_a_signed_request_links_the_order_and_answers_the_transaction(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # Given a completed payment
    payment, order = await paid_payment(client, auth), str(uuid.uuid4())
    payload = complete(order, payment)
    # When the order service reports it, signed
    response = await client.post(PATH, content=payload, headers=signed(payload))
    # Then it answers the spec's shape, and the transaction now names the order
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["success"], answer["orderId"], answer["paymentId"]) == (True, order, payment)
    assert answer["transaction"]["id"] == payment
    assert answer["transaction"]["status"] == "completed"
    assert answer["transaction"]["orderId"] == order
    # And the same pair again (a retry with a fresh nonce) is fine, another order is not
    again = await client.post(PATH, content=payload, headers=signed(payload))
    assert again.status_code == 200, again.text
    other = complete(str(uuid.uuid4()), payment)
    conflict = await client.post(PATH, content=other, headers=signed(other))
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["code"] == "ORDER_MISMATCH"


async def test_an_unknown_payment_is_404_and_an_unpaid_one_409(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    payload = complete(str(uuid.uuid4()), str(uuid.uuid4()))
    response = await client.post(PATH, content=payload, headers=signed(payload))
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "TRANSACTION_NOT_FOUND"
    venue, event = await venue_and_event(client, auth)
    declined = await client.post(
        PROCESS, json=body(venue, event, "pm_card_chargeDeclined"), headers=keyed(auth())
    )
    assert declined.status_code == 402, declined.text
    payload = complete(str(uuid.uuid4()), declined.json()["transactionId"])
    response = await client.post(PATH, content=payload, headers=signed(payload))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "PAYMENT_NOT_COMPLETED"


async def test_a_bearer_token_is_not_enough_for_internal_routes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    payload = complete(str(uuid.uuid4()), str(uuid.uuid4()))
    response = await client.post(
        PATH, content=payload, headers={"Content-Type": "application/json", **auth()}
    )
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "INTERNAL_AUTH_REQUIRED"


def _tampered_body(payload: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed(payload)
    return payload.replace(b'"orderId": "', b'"orderId": "0'), headers


def _wrong_secret(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, secret="not-the-order-service-secret")


# Far outside the 300 s window, so however long the request takes it stays outside; the
# exact boundary is a unit test with an injected clock (test_internal_signing.py).
STALE_SECONDS = 3600


def _old(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, timestamp=int(time.time()) - STALE_SECONDS)


def _ahead(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, timestamp=int(time.time()) + STALE_SECONDS)


def _one_changed_signature_byte(payload: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed(payload)
    signature = headers["x-internal-signature"]
    flipped = "0" if signature[10] != "0" else "1"
    headers["x-internal-signature"] = signature[:10] + flipped + signature[11:]
    return payload, headers


def _another_services_name(payload: bytes) -> tuple[bytes, dict[str, str]]:
    # Signed with the order service's secret but claiming to be the ticket service.
    headers = signed(payload)
    headers["x-internal-service"] = "ticket-service"
    return payload, headers


def _unknown_service(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, service="order-service") | {
        "x-internal-service": "mystery-service"
    }


def _signed_for_another_path(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, path="/internal/calculate-tax")


def _signed_with_a_query(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, raw_query="dryRun=true")


def _upper_case_signature(payload: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed(payload)
    headers["x-internal-signature"] = headers["x-internal-signature"].upper()
    return payload, headers


def _short_nonce(payload: bytes) -> tuple[bytes, dict[str, str]]:
    return payload, signed(payload, nonce="abc")


FORGERIES = {
    "tampered body": (_tampered_body, "INVALID_SIGNATURE"),
    "wrong secret": (_wrong_secret, "INVALID_SIGNATURE"),
    "timestamp an hour old": (_old, "INVALID_TIMESTAMP"),
    "timestamp an hour ahead": (_ahead, "INVALID_TIMESTAMP"),
    "one changed signature byte": (_one_changed_signature_byte, "INVALID_SIGNATURE"),
    "another service's name": (_another_services_name, "INVALID_SIGNATURE"),
    "unknown service": (_unknown_service, "UNKNOWN_SERVICE"),
    "signed for another path": (_signed_for_another_path, "INVALID_SIGNATURE"),
    "signed with a query that was not sent": (_signed_with_a_query, "INVALID_SIGNATURE"),
    "upper-case hex signature": (_upper_case_signature, "INVALID_SIGNATURE"),
    "nonce too short": (_short_nonce, "INVALID_NONCE"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
async def test_a_forged_or_stale_request_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, name: str
) -> None:
    payment, order = await paid_payment(client, auth), str(uuid.uuid4())
    forge, code = FORGERIES[name]
    sent, headers = forge(complete(order, payment))
    response = await client.post(PATH, content=sent, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    # And nothing happened: the payment still has no order
    async with container.infrastructure.engine.connect() as connection:
        linked = (
            await connection.execute(
                sa.select(payment_transactions.c.order_id).where(
                    payment_transactions.c.id == uuid.UUID(payment)
                )
            )
        ).scalar_one()
    assert linked is None


@pytest.mark.parametrize(
    "header",
    ["x-internal-service", "x-internal-timestamp", "x-internal-nonce", "x-internal-signature"],
)
async def test_a_missing_header_is_refused(client: httpx.AsyncClient, header: str) -> None:
    payload = complete(str(uuid.uuid4()), str(uuid.uuid4()))
    headers = signed(payload)
    del headers[header]
    response = await client.post(PATH, content=payload, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "INTERNAL_AUTH_REQUIRED"
    assert header in response.json()["error"]


async def test_a_replayed_nonce_is_refused_even_with_a_valid_signature(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    payment = await paid_payment(client, auth)
    payload = complete(str(uuid.uuid4()), payment)
    headers = signed(payload)
    first = await client.post(PATH, content=payload, headers=headers)
    assert first.status_code == 200, first.text
    replay = await client.post(PATH, content=payload, headers=headers)
    assert replay.status_code == 401, replay.text
    assert replay.json()["code"] == "NONCE_REUSED"


async def test_a_forged_request_does_not_burn_the_callers_nonce(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    payment = await paid_payment(client, auth)
    payload = complete(str(uuid.uuid4()), payment)
    nonce = secrets.token_hex(16)
    forged = signed(payload, nonce=nonce, secret="guessed")
    assert (await client.post(PATH, content=payload, headers=forged)).status_code == 401
    genuine = await client.post(PATH, content=payload, headers=signed(payload, nonce=nonce))
    assert genuine.status_code == 200, genuine.text


async def test_the_query_string_is_signed_in_sorted_order(client: httpx.AsyncClient) -> None:
    # Signed over "a=1&b=2" while sent as "b=2&a=1": the canonical form sorts them, so the
    # signature holds and the request reaches the route (404: no such payment).
    payload = complete(str(uuid.uuid4()), str(uuid.uuid4()))
    headers = signed(payload, raw_query="a=1&b=2")
    response = await client.post(f"{PATH}?b=2&a=1", content=payload, headers=headers)
    assert response.status_code == 404, response.text


async def test_an_invalid_body_is_checked_after_the_signature(client: httpx.AsyncClient) -> None:
    payload = b'{"orderId": "not-a-uuid", "paymentId": 5}'
    unsigned = await client.post(
        PATH, content=payload, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401
    response = await client.post(PATH, content=payload, headers=signed(payload))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_with_redis_down_internal_requests_are_refused_not_let_through(
    settings: Settings, unreachable_redis: redis.asyncio.Redis
) -> None:
    # Given a service whose nonce store's Redis does not answer
    down = Overrides(nonces=RedisNonceStore(unreachable_redis))
    async with service_with(settings, down) as (_, client):
        payload = complete(str(uuid.uuid4()), str(uuid.uuid4()))
        response = await client.post(PATH, content=payload, headers=signed(payload))
    # Then the request is refused with 503: replay protection cannot be checked
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "INTERNAL_AUTH_UNAVAILABLE"
