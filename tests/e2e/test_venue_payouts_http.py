"""Venue payouts: POST /venues/{venueId}/payout, its refusals, concurrency, failures that
give the money back, the provider's answers applied later, and `tt payouts`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable

import attrs
import httpx
import pytest

from tests.e2e.processes import cli_env, tt
from tests.e2e.test_process_payment_http import keyed, venue_and_event
from tests.e2e.test_venue_balances_http import SETTLES, balance, pay
from tests.e2e.test_webhooks_http import deliver
from tt_ledger import DailyPayoutLimitError, PayoutRules, PayoutStatus, VenueAccounts
from tt_money import USD, Money
from tt_payments import Container, Settings, bootstrap
from tt_payments.auth.identity import Principal, Role
from tt_payments.payouts import PayoutRecord, PayoutSettings
from tt_payments.providers.payouts import PayoutResult
from tt_payments.providers.simulated_payouts import PayoutFaultPoint, SimulatedPayouts

AuthHeaders = Callable[..., dict[str, str]]


async def funded_venue(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> str:
    """A venue with 19,000 cents available (two settled sales, 5 % reserved)."""
    venue, event = await venue_and_event(client, auth)
    await pay(client, auth, venue, event)
    await pay(client, auth, venue, event, 1)
    await container.balances.settle(now=SETTLES, tenant_id=tenant)
    return venue


async def payout(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    venue: str,
    amount: int,
    *,
    instant: bool = False,
    key: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/venues/{venue}/payout",
        json={"amount": amount, "instant": instant},
        headers=keyed(auth(Role.ADMIN), key),
    )


async def standard_payout(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> tuple[str, PayoutRecord, Principal]:
    """A funded venue that asked for a standard $100.00 payout: (venue, payout, an admin)."""
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 10000)
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    payout_id = uuid.UUID(response.json()["payoutId"])
    return venue, await container.payouts.visible(admin, payout_id), admin


def payout_event(
    event_type: str,
    *,
    account: str,
    provider_payout_id: str | None,
    amount: int,
    payout_id: str,
    tenant: uuid.UUID,
    **fields: object,
) -> dict[str, object]:
    """A Stripe Connect ``payout.*`` event, as Stripe sends it."""
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "account": account,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": provider_payout_id,
                "object": "payout",
                "amount": amount,
                "currency": "usd",
                "metadata": {"payoutId": payout_id, "tenantId": str(tenant)},
                **fields,
            }
        },
    }


def simulated(container: Container) -> SimulatedPayouts:
    provider = container.payouts.provider
    assert isinstance(provider, SimulatedPayouts)
    return provider


async def test_a_standard_payout_leaves_available_and_is_in_transit(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 12000)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    assert answer["message"] == "Payout initiated"
    assert answer["amount"] == 12000
    assert answer["type"] == "standard"
    assert answer["estimatedArrival"] == "1-2 business days"
    assert answer["status"] == "in_transit"
    assert answer["fee"] == 0
    assert (await balance(client, auth, venue))["balance"]["available"] == 7000  # type: ignore[index]
    assert (await container.ledger.verify()).ok


async def test_an_instant_payout_costs_one_percent_and_is_paid(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 10000, instant=True)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["fee"], answer["net"], answer["status"]) == (100, 9900, "paid")
    assert answer["estimatedArrival"] == "about 30 minutes"
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]


async def test_each_refusal_has_its_code(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    below = await payout(client, auth, venue, 9999)
    assert below.json()["code"] == "PAYOUT_BELOW_MINIMUM"
    too_much = await payout(client, auth, venue, 19001)
    assert too_much.json()["code"] == "INSUFFICIENT_FUNDS"
    assert (await payout(client, auth, venue, 0)).status_code == 422
    buyer = await client.post(
        f"/api/v1/venues/{venue}/payout", json={"amount": 10000}, headers=keyed(auth())
    )
    assert buyer.status_code == 403
    no_key = await client.post(
        f"/api/v1/venues/{venue}/payout", json={"amount": 10000}, headers=auth(Role.ADMIN)
    )
    assert no_key.json()["code"] == "IDEMPOTENCY_KEY_MISSING"
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]


async def test_the_daily_limit_counts_payouts_in_flight(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a funded venue and the spec's $50,000 a day, scaled down to its balance, on a
    # clock stopped at noon of one day (so no midnight passes between the requests)
    venue = await funded_venue(client, auth, container, tenant)
    noon = SETTLES.replace(hour=12, minute=0)
    service = attrs.evolve(
        container.payouts,  # the same storage and provider, other rules
        rules=PayoutRules(minimum=Money(1000, USD), daily_limit=Money(15000, USD)),
        default_destination=lambda venue_id: f"acct_sim_{venue_id.hex[:16]}",
        clock=lambda: noon,
    )
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    # And a payout of 10,000 that day, still in flight
    first = await service.request(
        admin, uuid.UUID(venue), 10000, instant=False, idempotency_key=None
    )
    assert first.status is PayoutStatus.IN_TRANSIT
    assert first.created_at == noon
    # When 6,000 more is asked the same day, Then the in-flight one counts: over the limit
    with pytest.raises(DailyPayoutLimitError):
        await service.request(admin, uuid.UUID(venue), 6000, instant=False, idempotency_key=None)
    # And 5,000, within the day's limit, goes.
    ok = await service.request(admin, uuid.UUID(venue), 5000, instant=False, idempotency_key=None)
    assert ok.status is PayoutStatus.IN_TRANSIT


async def test_fifty_concurrent_payouts_never_take_more_than_payable(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    answers = await asyncio.gather(*(payout(client, auth, venue, 10000) for _ in range(50)))
    codes = [answer.status_code for answer in answers]
    assert codes.count(200) == 1, sorted(codes)
    assert {answer.json()["code"] for answer in answers if answer.status_code != 200} == {
        "INSUFFICIENT_FUNDS"
    }
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]
    assert (await container.ledger.verify()).ok


async def test_a_retry_with_the_same_key_is_the_same_payout(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    key, admin = str(uuid.uuid4()), auth(Role.ADMIN)
    requests = [
        client.post(
            f"/api/v1/venues/{venue}/payout",
            json={"amount": 10000},
            headers={**admin, "Idempotency-Key": key},
        )
        for _ in range(2)
    ]
    first = await requests[0]
    second = await requests[1]
    assert first.status_code == second.status_code == 200
    assert first.json()["payoutId"] == second.json()["payoutId"]
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]


async def test_a_failed_payout_gives_the_money_back(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    await container.payouts.set_destination(
        admin, uuid.UUID(venue), PayoutSettings(destination="acct_fail", threshold_minor=10000)
    )
    response = await payout(client, auth, venue, 10000, instant=True)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "failed"
    assert response.json()["success"] is False
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]
    assert (await container.ledger.verify()).ok


async def test_a_payout_the_bank_returns_later_gives_the_money_back(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 10000)
    payout_id = uuid.UUID(response.json()["payoutId"])
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    record = await container.payouts.visible(admin, payout_id)
    assert record.provider_payout_id is not None
    await simulated(container).fail_payout(
        record.provider_payout_id, destination=record.destination
    )
    assert await container.payouts.sync(tenant_id=tenant) == 1
    after = await container.payouts.visible(admin, payout_id)
    assert after.status is PayoutStatus.FAILED
    assert after.failure_code == "account_closed"
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]


async def test_a_payout_the_provider_did_not_answer_is_sent_again_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    provider = simulated(container)
    provider.fail_next(PayoutFaultPoint.TIMEOUT_AFTER_PAYOUT)
    created_before = provider.payouts_created
    response = await payout(client, auth, venue, 10000)
    assert response.json()["status"] == "pending"
    assert await container.payouts.sync(tenant_id=tenant) == 1
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    after = await container.payouts.visible(admin, uuid.UUID(response.json()["payoutId"]))
    assert after.status is PayoutStatus.IN_TRANSIT
    assert provider.payouts_created == created_before + 1


async def test_tt_payouts_run_pays_venues_above_their_threshold_and_reruns_safely(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    env = cli_env(settings)
    ran = tt(env, "payouts", "run", "--tenant", str(tenant))
    assert ran.returncode == 0, ran.stderr
    assert "venues paid 1" in ran.stdout
    assert (await balance(client, auth, venue))["balance"]["available"] == 0  # type: ignore[index]
    again = tt(env, "payouts", "run", "--tenant", str(tenant))
    assert again.returncode == 0, again.stderr
    assert "venues paid 0" in again.stdout
    listed = tt(env, "payouts", "list", "--tenant", str(tenant), "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["amount"], row["venueId"]) for row in rows] == [(19000, venue)]
    shown = tt(env, "payouts", "show", "--tenant", str(tenant), rows[0]["id"])
    assert json.loads(shown.stdout)["status"] in {"in_transit", "paid"}


async def test_a_signed_payout_failed_webhook_gives_the_money_back_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 10000)
    payout_id = response.json()["payoutId"]
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    record = await container.payouts.visible(admin, uuid.UUID(payout_id))
    event = payout_event(
        "payout.failed",
        account=record.destination,
        provider_payout_id=record.provider_payout_id,
        amount=10000,
        payout_id=payout_id,
        tenant=tenant,
        status="failed",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
    )
    first = await deliver(client, event)
    assert first.status_code == 200, first.text
    again = await deliver(client, {**event, "id": f"evt_{uuid.uuid4().hex}"})
    assert again.status_code == 200
    after = await container.payouts.visible(admin, uuid.UUID(payout_id))
    assert after.status is PayoutStatus.FAILED
    assert after.failure_code == "account_closed"
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]
    assert (await container.ledger.verify()).ok


async def test_a_fresh_process_pays_out_and_applies_answers(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    """A process that never took a payment (tt worker, the CLI) knows no ledger accounts
    yet: a payout must create the ones its entries post to."""
    venue = await funded_venue(client, auth, container, tenant)
    fresh = bootstrap(settings)
    try:
        admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
        paid = await fresh.payouts.request(
            admin, uuid.UUID(venue), 10000, instant=True, idempotency_key=None
        )
        assert paid.status is PayoutStatus.PAID
    finally:
        await fresh.aclose()
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]
    assert (await container.ledger.verify()).ok


async def test_a_payout_event_for_another_payout_or_account_changes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    response = await payout(client, auth, venue, 10000)
    payout_id = response.json()["payoutId"]
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    record = await container.payouts.visible(admin, uuid.UUID(payout_id))
    forged = payout_event(
        "payout.canceled",
        account="acct_someone_else",
        provider_payout_id="po_other",
        amount=1,
        payout_id=payout_id,
        tenant=tenant,
        status="canceled",
    )
    assert (await deliver(client, forged)).status_code == 200
    after = await container.payouts.visible(admin, uuid.UUID(payout_id))
    assert after.status is PayoutStatus.IN_TRANSIT
    assert after.provider_payout_id == record.provider_payout_id
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]


async def test_paid_then_failed_from_a_stale_copy_books_the_return_against_clearing(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, stale, _ = await standard_payout(client, auth, container, tenant)
    assert stale.provider_payout_id is not None
    result = PayoutResult(
        provider="simulated",
        provider_payout_id=stale.provider_payout_id,
        status=PayoutStatus.PAID,
        amount=stale.net,
    )
    await container.payouts.apply(stale, result)
    failed = attrs.evolve(result, status=PayoutStatus.FAILED, failure_code="account_closed")
    after = await container.payouts.apply(stale, failed)  # the copy still says in transit
    assert after.status is PayoutStatus.FAILED
    # Late news after failed changes nothing.
    assert (await container.payouts.apply(stale, result)).status is PayoutStatus.FAILED
    accounts = VenueAccounts.of(tenant, uuid.UUID(venue), USD)
    async with container.infrastructure.engine.connect() as connection:
        in_transit = await container.ledger.balance(connection, accounts.in_transit)
    assert in_transit.minor == 0
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]


async def test_a_failed_payout_whose_money_is_not_back_yet_keeps_it_out_until_it_is(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, record, admin = await standard_payout(client, auth, container, tenant)
    assert record.provider_payout_id is not None
    provider = simulated(container)
    await provider.fail_payout(record.provider_payout_id, destination=record.destination)
    provider.fail_next(PayoutFaultPoint.TIMEOUT_ON_RECLAIM)
    assert await container.payouts.sync(tenant_id=tenant) == 0
    assert (await container.payouts.visible(admin, record.id)).status is PayoutStatus.IN_TRANSIT
    assert (await balance(client, auth, venue))["balance"]["available"] == 9000  # type: ignore[index]
    assert await container.payouts.sync(tenant_id=tenant) == 1
    assert (await balance(client, auth, venue))["balance"]["available"] == 19000  # type: ignore[index]


async def test_a_payout_pending_for_over_a_day_is_not_sent_again(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue = await funded_venue(client, auth, container, tenant)
    provider = simulated(container)
    provider.fail_next(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)
    response = await payout(client, auth, venue, 10000)
    assert response.json()["status"] == "pending"
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    record = await container.payouts.visible(admin, uuid.UUID(response.json()["payoutId"]))
    a_day_later = attrs.evolve(
        container.payouts, clock=lambda: record.created_at + dt.timedelta(hours=24)
    )
    created_before = provider.payouts_created
    assert await a_day_later.sync(tenant_id=tenant) == 0
    assert provider.payouts_created == created_before
    assert (await container.payouts.visible(admin, record.id)).status is PayoutStatus.PENDING
