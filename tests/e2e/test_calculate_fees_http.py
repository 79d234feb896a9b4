"""POST /api/v1/payments/calculate-fees over HTTP, against real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import httpx
import sqlalchemy as sa

from tt_payments import Container
from tt_payments.auth.identity import Role
from tt_payments.db.tables.payments import payment_transactions

AuthHeaders = Callable[..., dict[str, str]]

NASHVILLE = {
    "street": "222 Rep. John Lewis Way S",
    "city": "Nashville",
    "state": "TN",
    "zip": "37203",
}


async def put_venue(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    address: dict[str, str] | None = None,
    **extra: object,
) -> uuid.UUID:
    venue_id = uuid.uuid4()
    response = await client.put(
        f"/api/v1/admin/venues/{venue_id}",
        json={"name": "Ryman Auditorium", "address": address or NASHVILLE, **extra},
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 201, response.text
    return venue_id


async def quote(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    venue_id: uuid.UUID,
    *,
    tickets: int = 1,
    on: str | None = None,
) -> httpx.Response:
    """Price $100.00 of tickets at the venue, on the given sale date (default: today)."""
    body: dict[str, object] = {"venueId": str(venue_id), "amount": 10000, "ticketCount": tickets}
    if on is not None:
        body["transactionDate"] = on
    return await fees(client, auth, body)


async def fees(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, object]
) -> httpx.Response:
    return await client.post("/api/v1/payments/calculate-fees", json=body, headers=auth())


async def test_nashville_ticket_before_february_2025_has_the_spec_breakdown(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # Given a starter-tier venue in Nashville
    venue_id = await put_venue(client, auth)
    # When a buyer prices $100 of tickets (2 tickets) on 2025-01-15
    response = await quote(client, auth, venue_id, tickets=2, on="2025-01-15")
    # Then the breakdown has every line and the total is their sum
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fees"] == {
        "ticketPrice": 10000,
        "platformFee": 820,
        "gasEstimate": 100,
        "stateTax": 700,
        "localTax": 225,
        "specialTax": 100,
        "total": 11945,
    }
    assert body["total"] == 11945
    assert body["tier"] == "starter"
    assert body["recommendedBlockchain"] == "polygon"
    assert body["gasEstimates"]["solana"] == {
        "blockchain": "solana",
        "estimatedFee": 0.002,
        "feeInUSD": 0.05,
        "congestionLevel": "low",
    }
    assert body["taxBreakdown"]["local"] == {
        "name": "Nashville Local Tax",
        "rate": 2.25,
        "amount": 225,
    }


async def test_nashville_local_tax_rises_to_2_75_percent_from_february_2025(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue_id = await put_venue(client, auth)
    response = await quote(client, auth, venue_id, on="2025-02-01")
    assert response.status_code == 200, response.text
    lines = response.json()["fees"]
    assert (lines["localTax"], lines["gasEstimate"]) == (275, 50)
    assert lines["total"] == sum(value for key, value in lines.items() if key != "total")


async def test_tier_follows_trailing_30_day_completed_volume(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a venue with $10,000.00 of completed sales in the last 30 days (and older
    # and failed sales that must not count)
    venue_id = await put_venue(client, auth)
    now = dt.datetime.now(dt.UTC)
    rows = [
        (600_000, "completed", now - dt.timedelta(days=1)),
        (400_000, "partially_refunded", now - dt.timedelta(days=29)),
        (5_000_000, "failed", now - dt.timedelta(days=2)),
        (5_000_000, "completed", now - dt.timedelta(days=31)),
    ]
    async with container.infrastructure.engine.begin() as connection:
        for amount, status, created in rows:
            await connection.execute(
                sa.insert(payment_transactions).values(
                    tenant_id=tenant,
                    id=uuid.uuid4(),
                    venue_id=venue_id,
                    user_id=uuid.uuid4(),
                    event_id=uuid.uuid4(),
                    amount=amount,
                    currency="USD",
                    status=status,
                    platform_fee=0,
                    venue_payout=amount,
                    metadata={},
                    created_at=created,
                    updated_at=created,
                )
            )
    # When fees are calculated
    response = await quote(client, auth, venue_id, on="2025-03-01")
    # Then the venue is on the pro tier (790 bps)
    assert response.status_code == 200, response.text
    assert response.json()["tier"] == "pro"
    assert response.json()["fees"]["platformFee"] == 790


async def test_venue_fee_override_wins_over_the_tier(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue_id = await put_venue(client, auth, tierOverride="enterprise")
    response = await quote(client, auth, venue_id, on="2025-03-01")
    assert response.json()["fees"]["platformFee"] == 750
    custom = await put_venue(client, auth, platformFeeBpsOverride=500)
    response = await quote(client, auth, custom, on="2025-03-01")
    assert response.json()["fees"]["platformFee"] == 500


async def test_unknown_venue_is_404_venue_not_found(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await quote(client, auth, uuid.uuid4())
    assert response.status_code == 404
    assert response.json()["code"] == "VENUE_NOT_FOUND"


async def test_a_venue_of_another_tenant_is_not_found(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue_id = await put_venue(client, auth)
    response = await client.post(
        "/api/v1/payments/calculate-fees",
        json={"venueId": str(venue_id), "amount": 10000, "ticketCount": 1},
        headers=auth(tenant_id=uuid.uuid4()),
    )
    assert response.status_code == 404


async def test_venue_in_a_state_that_exempts_admissions_pays_no_state_tax(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue_id = await put_venue(client, auth, {"city": "Los Angeles", "state": "CA", "zip": "90012"})
    response = await quote(client, auth, venue_id, on="2025-03-01")
    assert response.status_code == 200, response.text
    lines = response.json()["fees"]
    assert (lines["stateTax"], lines["localTax"], lines["specialTax"]) == (0, 0, 0)
    assert lines["total"] == 10000 + 820 + 50


async def test_a_sale_date_before_the_rate_tables_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue_id = await put_venue(client, auth)
    response = await quote(client, auth, venue_id, on="2019-06-01")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "TAX_RATE_UNAVAILABLE"


async def test_ticket_lines_are_priced_from_the_catalog_like_the_amount_form(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # Given an event selling general admission at $50 and VIP at $120
    venue_id = await put_venue(client, auth)
    event = str(uuid.uuid4())
    admin = auth(Role.ADMIN)
    put = await client.put(
        f"/api/v1/admin/events/{event}",
        json={"venueId": str(venue_id), "name": "Show", "startsAt": "2027-03-01T20:00:00Z"},
        headers=admin,
    )
    assert put.status_code == 201, put.text
    ga, vip = str(uuid.uuid4()), str(uuid.uuid4())
    for ticket_type, name, price in ((ga, "General admission", 5000), (vip, "VIP", 12000)):
        put = await client.put(
            f"/api/v1/admin/events/{event}/ticket-types/{ticket_type}",
            json={"name": name, "price": price, "currency": "USD", "capacity": 10},
            headers=admin,
        )
        assert put.status_code == 201, put.text
    # When two GA and one VIP are priced by ticket lines
    lines = [{"ticketTypeId": ga, "quantity": 2}, {"ticketTypeId": vip, "quantity": 1}]
    body = {"venueId": str(venue_id), "eventId": event, "tickets": lines}
    by_lines = await fees(client, auth, {**body, "transactionDate": "2025-01-15"})
    assert by_lines.status_code == 200, by_lines.text
    # Then the quote is the amount form's for $220 and 3 tickets, with the lines priced
    by_amount = await fees(
        client,
        auth,
        {
            "venueId": str(venue_id),
            "amount": 22000,
            "ticketCount": 3,
            "transactionDate": "2025-01-15",
        },
    )
    assert by_lines.json()["fees"] == by_amount.json()["fees"]
    assert by_lines.json()["fees"]["ticketPrice"] == 22000
    assert by_lines.json()["tickets"] == [
        {
            "ticketTypeId": ga,
            "name": "General admission",
            "quantity": 2,
            "price": 5000,
            "subtotal": 10000,
        },
        {"ticketTypeId": vip, "name": "VIP", "quantity": 1, "price": 12000, "subtotal": 12000},
    ]
    assert "tickets" not in by_amount.json() or by_amount.json()["tickets"] is None
    # And an unknown ticket type, too many tickets, or both forms at once are refused
    unknown = await fees(
        client, auth, {**body, "tickets": [{"ticketTypeId": event, "quantity": 1}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "TICKET_TYPE_NOT_FOUND"
    over = await fees(client, auth, {**body, "tickets": [{"ticketTypeId": vip, "quantity": 11}]})
    assert over.status_code == 422  # more than a line may hold
    sold_out = await fees(
        client, auth, {**body, "tickets": [{"ticketTypeId": vip, "quantity": 6}] * 2}
    )
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "SOLD_OUT"
    both = await fees(client, auth, {**body, "amount": 100, "ticketCount": 1})
    assert both.status_code == 422
    assert both.json()["code"] == "VALIDATION_ERROR"
    half = await fees(client, auth, {"venueId": str(venue_id), "eventId": event})
    assert half.status_code == 422
    assert half.json()["errors"] == [{"field": "tickets", "message": "is required with the other"}]
    neither = await fees(client, auth, {"venueId": str(venue_id)})
    assert neither.status_code == 422
