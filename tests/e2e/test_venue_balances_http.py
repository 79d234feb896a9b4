"""Venue balances and settlement: GET /venues/{venueId}/balance, the settlement run, the
rolling reserve and its release, against the real ledger in PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable

import httpx

from tests.e2e.processes import cli_env, tt
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_ledger import SettlementPolicy
from tt_payments import Container, Settings
from tt_payments.auth.identity import Principal, Role

AuthHeaders = Callable[..., dict[str, str]]
# venue_and_event's show starts 2026-12-31 20:00 -06:00 (2027-01-01 02:00 UTC).
STARTS = dt.datetime(2027, 1, 1, 2, 0, tzinfo=dt.UTC)
SETTLES = STARTS + dt.timedelta(days=2)
RELEASES = SETTLES + dt.timedelta(days=90)


async def balance(client: httpx.AsyncClient, auth: AuthHeaders, venue: str) -> dict[str, object]:
    response = await client.get(f"/api/v1/venues/{venue}/balance", headers=auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


GOOD_CARDS = ("pm_card_visa", "4242424242424242")


async def pay(
    client: httpx.AsyncClient, auth: AuthHeaders, venue: str, event: str, card: int = 0
) -> str:
    """Two $50 tickets (the default limit allows two such orders per card per event)."""
    response = await client.post(
        PROCESS, json=body(venue, event, GOOD_CARDS[card]), headers=keyed(auth())
    )
    assert response.status_code == 200, response.text
    transaction_id: str = response.json()["transaction"]["id"]
    return transaction_id


async def test_sales_are_pending_until_two_days_after_the_event_then_available_less_5_percent(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await pay(client, auth, venue, event)
    await pay(client, auth, venue, event, 1)
    assert await balance(client, auth, venue) == {
        "balance": {"available": 0, "pending": 20000, "reserved": 0, "currency": "USD"},
        "payoutInfo": {"available": 0, "reserved": 0, "payable": 0},
    }

    early = await container.balances.settle(now=SETTLES - dt.timedelta(seconds=1), tenant_id=tenant)
    assert early.sales_settled == 0
    report = await container.balances.settle(now=SETTLES, tenant_id=tenant)
    assert report.sales_settled == 2
    assert report.settled == {"USD": 19000}
    assert report.reserved == {"USD": 1000}
    assert await balance(client, auth, venue) == {
        "balance": {"available": 19000, "pending": 0, "reserved": 1000, "currency": "USD"},
        "payoutInfo": {"available": 19000, "reserved": 1000, "payable": 19000},
    }

    again = await container.balances.settle(now=SETTLES + dt.timedelta(days=1), tenant_id=tenant)
    assert again.sales_settled == 0
    assert again.reserves_released == 0

    before_release = RELEASES - dt.timedelta(seconds=1)
    assert (
        await container.balances.settle(now=before_release, tenant_id=tenant)
    ).reserves_released == 0
    released = await container.balances.settle(now=RELEASES, tenant_id=tenant)
    assert released.reserves_released == 2
    assert released.released == {"USD": 1000}
    final = await balance(client, auth, venue)
    assert final["balance"] == {"available": 20000, "pending": 0, "reserved": 0, "currency": "USD"}
    assert (await container.ledger.verify()).ok


async def test_a_partly_refunded_sale_settles_what_is_left(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    transaction = await pay(client, auth, venue, event)
    refund = await client.post(
        f"/api/v1/payments/transaction/{transaction}/refund",
        json={"amount": 5000},
        headers=keyed(auth(Role.ADMIN)),
    )
    assert refund.status_code == 200, refund.text
    before = await balance(client, auth, venue)
    pending_before = before["balance"]["pending"]  # type: ignore[index]
    assert 0 < pending_before < 10000
    report = await container.balances.settle(now=SETTLES, tenant_id=tenant)
    assert report.sales_settled == 1
    after = await balance(client, auth, venue)
    assert after["balance"]["pending"] == 0  # type: ignore[index]
    assert (
        after["balance"]["available"] + after["balance"]["reserved"]  # type: ignore[index]
        == pending_before
    )
    assert (await container.ledger.verify()).ok


async def test_two_settlement_runs_at_once_settle_each_sale_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    for card in (0, 0, 1):
        await pay(client, auth, venue, event, card)
    reports = await asyncio.gather(
        *(container.balances.settle(now=SETTLES, tenant_id=tenant) for _ in range(4))
    )
    assert sum(report.sales_settled for report in reports) == 3
    assert (await balance(client, auth, venue))["balance"] == {
        "available": 28500,
        "pending": 0,
        "reserved": 1500,
        "currency": "USD",
    }


async def test_a_venue_policy_changes_the_delay_and_the_reserve(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    await container.balances.set_policy(
        admin, uuid.UUID(venue), SettlementPolicy(delay_days=0, reserve_bps=1000)
    )
    await pay(client, auth, venue, event)
    report = await container.balances.settle(now=STARTS, tenant_id=tenant)
    assert report.settled == {"USD": 9000}
    assert report.reserved == {"USD": 1000}


async def test_only_the_venues_managers_and_admins_see_its_balance(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, _ = await venue_and_event(client, auth)
    path = f"/api/v1/venues/{venue}/balance"
    manager = await client.get(path, headers=auth(Role.VENUE_MANAGER, venues=(uuid.UUID(venue),)))
    assert manager.status_code == 200
    other_manager = await client.get(path, headers=auth(Role.VENUE_MANAGER, venues=(uuid.uuid4(),)))
    assert other_manager.status_code == 403
    buyer = await client.get(path, headers=auth())
    assert buyer.status_code == 403
    unknown = await client.get(f"/api/v1/venues/{uuid.uuid4()}/balance", headers=auth(Role.ADMIN))
    assert unknown.status_code == 404
    bad = await client.get("/api/v1/venues/not-a-uuid/balance", headers=auth(Role.ADMIN))
    assert bad.status_code == 422


async def test_tt_balances_settle_and_show(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await pay(client, auth, venue, event)
    env = cli_env(settings)
    settled = tt(
        env, "balances", "settle", "--tenant", str(tenant), "--now", "2027-01-03T02:00:00+0000",
        "--json",
    )  # fmt: skip
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["salesSettled"] == 1
    shown = tt(env, "balances", "show", "--tenant", str(tenant), "--venue", venue, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["payoutInfo"] == {
        "available": 9500,
        "reserved": 500,
        "payable": 9500,
    }
