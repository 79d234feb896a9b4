"""Payments over HTTP charge the catalog's price, never the client's, and never sell a
ticket twice: PRICE_CHANGED, TICKET_TYPE_NOT_FOUND, SOLD_OUT, seats, expiry, refunds."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter

import httpx
import pytest

from tests.conftest import AuthHeaders, general_admission
from tests.e2e.test_high_demand_http import high_demand
from tests.e2e.test_process_payment_http import (
    PROCESS,
    body,
    count,
    keyed,
    provider,
    venue_and_event,
)
from tt_payments import Container
from tt_payments.auth.identity import Role
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.providers.simulated import FaultPoint

UNLIMITED = {"perUser": 100, "perPaymentMethod": 1000, "perAddress": 1000, "perOrder": 10}


async def ticket_type(client: httpx.AsyncClient, auth: AuthHeaders, event: str) -> dict[str, int]:
    listed = await client.get(
        f"/api/v1/admin/events/{event}/ticket-types", headers=auth(Role.ADMIN)
    )
    assert listed.status_code == 200, listed.text
    (found,) = [t for t in listed.json()["ticketTypes"] if t["id"] == general_admission(event)]
    return {key: found[key] for key in ("held", "sold", "available")}


def seated(venue: str, event: str, *seats: str) -> dict[str, object]:
    order = body(venue, event)
    order["tickets"] = [
        {
            "ticketTypeId": general_admission(event),
            "quantity": len(seats),
            "price": 5000,
            "seatNumbers": list(seats),
        }
    ]
    return order


async def test_a_one_cent_price_is_refused_with_the_current_price_and_nothing_is_charged(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    charges = provider(container).charges_created
    order = body(venue, event)
    order["tickets"] = [{"ticketTypeId": general_admission(event), "quantity": 2, "price": 1}]
    refused = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert refused.status_code == 409, refused.text
    answer = refused.json()
    assert answer["code"] == "PRICE_CHANGED"
    assert answer["currentPrices"] == [
        {"ticketTypeId": general_admission(event), "price": 5000, "currency": "USD"}
    ]
    assert answer["errors"] == [{"field": "tickets[0].price", "message": "is now 5000"}]
    assert provider(container).charges_created == charges
    assert await count(container, payment_transactions, tenant_id=tenant) == 0
    assert (await ticket_type(client, auth, event))["held"] == 0


async def test_an_unknown_ticket_type_is_422_and_too_many_tickets_409_sold_out(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth, capacity=3)
    order = body(venue, event)
    order["tickets"] = [{"ticketTypeId": str(uuid.uuid4()), "quantity": 1, "price": 5000}]
    unknown = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["code"] == "TICKET_TYPE_NOT_FOUND"
    assert unknown.json()["errors"][0]["field"] == "tickets[0].ticketTypeId"
    order["tickets"] = [{"ticketTypeId": general_admission(event), "quantity": 4, "price": 5000}]
    over = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert over.status_code == 409, over.text
    assert over.json()["code"] == "SOLD_OUT"
    assert over.json()["errors"] == [{"field": "tickets[0].quantity", "message": "only 3 left"}]
    assert await count(container, payment_transactions, tenant_id=tenant) == 0


@pytest.mark.usefixtures("lifted_velocity_limits")
async def test_fifty_buyers_racing_for_the_last_ten_tickets_buy_exactly_ten(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth, capacity=10)
    await high_demand(client, auth, event, enabled=False, limits=UNLIMITED)
    order = body(venue, event)
    order["tickets"] = [{"ticketTypeId": general_admission(event), "quantity": 1, "price": 5000}]
    answers = await asyncio.gather(
        *(
            client.post(PROCESS, json=order, headers=keyed(auth(user=uuid.uuid4())))
            for _ in range(50)
        )
    )
    codes = Counter(
        answer.status_code if answer.status_code == 200 else answer.json()["code"]
        for answer in answers
    )
    assert codes == {200: 10, "SOLD_OUT": 40}, codes
    assert await ticket_type(client, auth, event) == {"held": 0, "sold": 10, "available": 0}
    assert await count(container, payment_transactions, tenant_id=tenant) == 10
    report = await container.ledger.verify()
    assert report.ok, report


@pytest.mark.usefixtures("lifted_velocity_limits")
async def test_a_seat_is_sold_once_and_a_declined_payment_gives_it_back(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    declined = await client.post(
        PROCESS,
        json={
            **seated(venue, event, "A1"),
            "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_chargeDeclined"},
        },
        headers=keyed(auth()),
    )
    assert declined.status_code == 402, declined.text
    paid = await client.post(PROCESS, json=seated(venue, event, "A1"), headers=keyed(auth()))
    assert paid.status_code == 200, paid.text
    taken = await client.post(PROCESS, json=seated(venue, event, "A1", "A2"), headers=keyed(auth()))
    assert taken.status_code == 409, taken.text
    assert taken.json()["code"] == "SEAT_TAKEN"
    assert await ticket_type(client, auth, event) == {"held": 0, "sold": 1, "available": 999}
    twice = await client.post(PROCESS, json=seated(venue, event, "B1", "B1"), headers=keyed(auth()))
    assert twice.status_code == 422, twice.text


@pytest.mark.usefixtures("lifted_velocity_limits")
async def test_an_expired_hold_returns_its_seats_and_a_refund_returns_the_tickets(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container
) -> None:
    venue, event = await venue_and_event(client, auth)
    # A payment the processor has not answered holds its seat...
    provider(container).fail_next(FaultPoint.TIMEOUT_BEFORE_CHARGE)
    stuck = await client.post(PROCESS, json=seated(venue, event, "C7"), headers=keyed(auth()))
    assert stuck.status_code == 202, stuck.text
    assert (await ticket_type(client, auth, event))["held"] == 1
    blocked = await client.post(PROCESS, json=seated(venue, event, "C7"), headers=keyed(auth()))
    assert blocked.json()["code"] == "SEAT_TAKEN"
    # ...until the hold expires and the job gives it back
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert await container.tickets.release_expired(later) >= 1
    assert (await ticket_type(client, auth, event))["held"] == 0
    buyer = auth()
    paid = await client.post(PROCESS, json=seated(venue, event, "C7"), headers=keyed(buyer))
    assert paid.status_code == 200, paid.text
    # A full refund puts the seat back on sale; a partial one would not
    transaction = paid.json()["transaction"]["id"]
    refund = await client.post(
        f"/api/v1/payments/transaction/{transaction}/refund",
        json={"reason": "cannot come"},
        headers=keyed(auth(Role.ADMIN)),
    )
    assert refund.status_code == 200, refund.text
    assert await ticket_type(client, auth, event) == {"held": 0, "sold": 0, "available": 1000}
    again = await client.post(PROCESS, json=seated(venue, event, "C7"), headers=keyed(auth()))
    assert again.status_code == 200, again.text
