"""High-demand events over HTTP: settings, the waiting room, access tokens, purchase limits.

Every error code of the high-demand issue is exercised here through the API:
QUEUE_TOKEN_REQUIRED, INVALID_ACCESS_TOKEN, PURCHASE_LIMIT_EXCEEDED, WAITING_ROOM_NOT_FOUND
and WAITING_ROOM_UNAVAILABLE (Redis down: 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import attrs
import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.test_fraud_http import headless_session, human_session
from tests.e2e.test_process_payment_http import (
    PROCESS,
    body,
    count,
    general_admission,
    keyed,
    venue_and_event,
)
from tt_api import create_app
from tt_payments import Container, Overrides, Settings, bootstrap
from tt_payments.auth.identity import Role
from tt_payments.db.tables.high_demand import waiting_room_activity
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.providers.simulated import SimulatedProvider

AuthHeaders = Callable[..., dict[str, str]]
UNUSED_REDIS = "redis://127.0.0.1:1/0"


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


async def high_demand(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    event: str,
    *,
    on_sale: dt.datetime | None = None,
    slots: int = 10,
    enabled: bool = True,
    limits: dict[str, int] | None = None,
) -> dict[str, object]:
    response = await client.put(
        f"/api/v1/admin/events/{event}/high-demand",
        json={
            "enabled": enabled,
            "onSaleAt": iso(on_sale or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)),
            "activeSlots": slots,
            **({"purchaseLimits": limits} if limits else {}),
        },
        headers=auth(Role.ADMIN),
    )
    assert response.status_code in {200, 201}, response.text
    settings: dict[str, object] = response.json()["highDemand"]
    return settings


async def admitted_token(client: httpx.AsyncClient, event: str, headers: dict[str, str]) -> str:
    joined = await client.post(f"/api/v1/waiting-room/{event}/join", headers=headers)
    assert joined.status_code == 200, joined.text
    status = await client.get(f"/api/v1/waiting-room/{event}/status", headers=headers)
    assert status.status_code == 200, status.text
    answer = status.json()
    assert answer["state"] == "admitted", answer
    token: str = answer["accessToken"]
    return token


def in_person(order: dict[str, object]) -> dict[str, object]:
    """A high-demand purchase from a browser: with the session data bot detection reads
    (without it a high-demand payment is challenged with 3-D Secure)."""
    return {**order, "sessionData": human_session()}


def one_ticket(venue: str, event: str, card: str = "pm_card_visa") -> dict[str, object]:
    order = in_person(body(venue, event, card))
    order["tickets"] = [
        {"ticketTypeId": general_admission(event), "quantity": 1, "price": 5000, "seatNumbers": []}
    ]
    return order


async def test_settings_are_admin_only_validated_and_publish_a_seed_commitment(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth)
    path = f"/api/v1/admin/events/{event}/high-demand"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    order = {"enabled": True, "onSaleAt": iso(later), "activeSlots": 50}
    refused = await client.put(path, json=order, headers=auth())
    assert refused.status_code == 403
    bad = await client.put(path, json={**order, "activeSlots": 0}, headers=auth(Role.ADMIN))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "activeSlots"
    unknown = await client.put(
        f"/api/v1/admin/events/{uuid.uuid4()}/high-demand", json=order, headers=auth(Role.ADMIN)
    )
    assert unknown.status_code == 404
    created = await client.put(path, json=order, headers=auth(Role.ADMIN))
    assert created.status_code == 201, created.text
    settings = created.json()["highDemand"]
    assert settings["tokenTtlSeconds"] == 600
    assert settings["purchaseLimits"] == {
        "perUser": 4,
        "perPaymentMethod": 4,
        "perAddress": 8,
        "perOrder": 4,
    }
    assert settings["seed"] is None
    assert len(settings["seedCommitment"]) == 64
    again = await client.put(path, json={**order, "activeSlots": 60}, headers=auth(Role.ADMIN))
    assert again.status_code == 200
    assert again.json()["highDemand"]["seedCommitment"] == settings["seedCommitment"]


async def test_a_high_demand_payment_needs_a_valid_token_and_uses_it_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    order = in_person(body(venue, event))

    missing = await client.post(PROCESS, json=order, headers=keyed(buyer))
    assert missing.status_code == 403
    assert missing.json()["code"] == "QUEUE_TOKEN_REQUIRED"

    legacy = f"access_{event}_{uuid.uuid4()}"
    old_form = await client.post(
        PROCESS, json=order, headers={**keyed(buyer), "x-access-token": legacy}
    )
    assert old_form.status_code == 403
    assert old_form.json()["code"] == "INVALID_ACCESS_TOKEN"

    someone_else = auth(user=uuid.uuid4())
    foreign = await admitted_token(client, event, someone_else)
    stolen = await client.post(
        PROCESS, json=order, headers={**keyed(buyer), "x-access-token": foreign}
    )
    assert stolen.status_code == 403
    assert stolen.json()["code"] == "INVALID_ACCESS_TOKEN"

    token = await admitted_token(client, event, buyer)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = await client.post(
        PROCESS, json=order, headers={**keyed(buyer), "x-access-token": tampered}
    )
    assert forged.json()["code"] == "INVALID_ACCESS_TOKEN"

    paid = await client.post(PROCESS, json=order, headers={**keyed(buyer), "x-access-token": token})
    assert paid.status_code == 200, paid.text
    reused = await client.post(
        PROCESS, json=order, headers={**keyed(buyer), "x-access-token": token}
    )
    assert reused.status_code == 403
    assert reused.json()["code"] == "INVALID_ACCESS_TOKEN"
    assert await count(container, payment_transactions, tenant_id=tenant) == 1
    async with container.infrastructure.engine.connect() as connection:
        actions = (
            (
                await connection.execute(
                    sa.select(waiting_room_activity.c.action).where(
                        waiting_room_activity.c.tenant_id == tenant
                    )
                )
            )
            .scalars()
            .all()
        )
    assert {"joined", "admitted", "purchased"} <= set(actions)


async def test_a_missing_token_refusal_is_not_kept_under_the_idempotency_key(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    headers = keyed(buyer)
    order = in_person(body(venue, event))
    first = await client.post(PROCESS, json=order, headers=headers)
    assert first.json()["code"] == "QUEUE_TOKEN_REQUIRED"
    token = await admitted_token(client, event, buyer)
    retried = await client.post(PROCESS, json=order, headers={**headers, "x-access-token": token})
    assert retried.status_code == 200, retried.text


@pytest.mark.usefixtures("lifted_velocity_limits")
async def test_a_hundred_concurrent_uses_of_one_token_make_exactly_one_payment(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    token = await admitted_token(client, event, buyer)
    answers = await asyncio.gather(
        *(
            client.post(
                PROCESS,
                json=one_ticket(venue, event),
                headers={**keyed(buyer), "x-access-token": token},
            )
            for _ in range(100)
        )
    )
    codes = [answer.status_code for answer in answers]
    assert codes.count(200) == 1, sorted(codes)
    assert {answer.json()["code"] for answer in answers if answer.status_code != 200} == {
        "INVALID_ACCESS_TOKEN"
    }
    assert await count(container, payment_transactions, tenant_id=tenant) == 1


async def test_an_order_larger_than_the_per_order_limit_is_refused_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    token = await admitted_token(client, event, buyer)
    order = body(venue, event)
    order["tickets"] = [
        {"ticketTypeId": general_admission(event), "quantity": 5, "price": 5000, "seatNumbers": []}
    ]
    response = await client.post(
        PROCESS, json=order, headers={**keyed(buyer), "x-access-token": token}
    )
    assert response.status_code == 403
    answer = response.json()
    assert answer["code"] == "PURCHASE_LIMIT_EXCEEDED"
    assert "per_order" in answer["error"]


@pytest.mark.usefixtures("lifted_velocity_limits")
async def test_fifty_concurrent_purchases_by_one_user_never_pass_the_limit(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    # Limits without a waiting room: the limits apply, no token is needed.
    await high_demand(client, auth, event, enabled=False)
    user = uuid.uuid4()
    buyer = auth(user=user)
    answers = await asyncio.gather(
        *(
            client.post(
                PROCESS, json=one_ticket(venue, event, "pm_card_visa"), headers=keyed(buyer)
            )
            for _ in range(50)
        )
    )
    codes = [answer.status_code for answer in answers]
    assert codes.count(200) == 4, sorted(codes)
    refusals = {answer.json()["code"] for answer in answers if answer.status_code != 200}
    assert refusals == {"PURCHASE_LIMIT_EXCEEDED"}
    async with container.infrastructure.engine.connect() as connection:
        held = (
            await connection.execute(
                sa.select(sa.func.sum(payment_transactions.c.ticket_count)).where(
                    payment_transactions.c.tenant_id == tenant,
                    payment_transactions.c.user_id == user,
                    payment_transactions.c.status == "completed",
                )
            )
        ).scalar_one()
    assert held == 4


async def test_a_declined_purchase_gives_its_tickets_back_to_the_limit(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, enabled=False, limits={"perUser": 2})
    buyer = auth(user=uuid.uuid4())
    declined = await client.post(
        PROCESS, json=body(venue, event, "pm_card_chargeDeclined"), headers=keyed(buyer)
    )
    assert declined.status_code == 402
    paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
    assert paid.status_code == 200, paid.text
    over = await client.post(PROCESS, json=one_ticket(venue, event), headers=keyed(buyer))
    assert over.status_code == 403
    assert "per_user" in over.json()["error"]


async def test_the_per_card_limit_counts_across_buyers(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, enabled=False, limits={"perPaymentMethod": 2})
    card = "4242424242424242"
    first = await client.post(PROCESS, json=body(venue, event, card), headers=keyed(auth()))
    assert first.status_code == 200, first.text
    second = await client.post(PROCESS, json=one_ticket(venue, event, card), headers=keyed(auth()))
    assert second.status_code == 403
    assert "per_payment_method" in second.json()["error"]


async def test_the_per_address_limit_counts_one_address_however_it_is_written(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, enabled=False, limits={"perAddress": 3})
    address = {"line1": "12 Main St.", "postalCode": "37203", "country": "US", "city": "Nashville"}
    same_place = {**address, "line1": "12  main st", "city": "NASHVILLE"}
    ok = await client.post(
        PROCESS, json={**body(venue, event), "billingAddress": address}, headers=keyed(auth())
    )
    assert ok.status_code == 200, ok.text
    refused = await client.post(
        PROCESS,
        json={**body(venue, event, "4242424242424242"), "billingAddress": same_place},
        headers=keyed(auth()),
    )
    assert refused.status_code == 403
    assert "per_address" in refused.json()["error"]
    elsewhere = {**address, "line1": "14 Main St."}
    other = await client.post(
        PROCESS,
        json={**body(venue, event, "4242424242424242"), "billingAddress": elsewhere},
        headers=keyed(auth()),
    )
    assert other.status_code == 200, other.text


async def test_the_waiting_room_admits_in_join_order_and_frees_slots_on_purchase(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, slots=1)
    first, second = auth(user=uuid.uuid4()), auth(user=uuid.uuid4())
    one = await client.post(f"/api/v1/waiting-room/{event}/join", headers=first)
    two = await client.post(f"/api/v1/waiting-room/{event}/join", headers=second)
    assert one.status_code == two.status_code == 200
    status = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=first)).json()
    assert status["state"] == "admitted"
    waiting = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=second)).json()
    assert waiting["state"] == "waiting"
    assert waiting["position"] == 1
    assert waiting["estimatedWaitSeconds"] > 0
    assert waiting["accessToken"] is None
    assert waiting["pollWithinSeconds"] == 60
    paid = await client.post(
        PROCESS,
        json=in_person(body(venue, event)),
        headers={**keyed(first), "x-access-token": status["accessToken"]},
    )
    assert paid.status_code == 200, paid.text
    now_admitted = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=second)).json()
    assert now_admitted["state"] == "admitted"
    assert now_admitted["accessToken"]


@attrs.frozen
class Challenged:
    venue: str
    event: str
    buyer: dict[str, str]
    next_one: dict[str, str]
    token: str
    order: dict[str, object]
    headers: dict[str, str]
    challenged: httpx.Response


async def challenged_purchase(client: httpx.AsyncClient, auth: AuthHeaders) -> Challenged:
    """One slot: an admitted buyer whose card asks for 3-D Secure (answered 202
    requires_action), and a second buyer waiting behind."""
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, slots=1)
    buyer, next_one = auth(user=uuid.uuid4()), auth(user=uuid.uuid4())
    token = await admitted_token(client, event, buyer)
    await client.post(f"/api/v1/waiting-room/{event}/join", headers=next_one)
    headers = {**keyed(buyer), "x-access-token": token}
    order = in_person(body(venue, event, "pm_card_authenticationRequired"))
    challenged = await client.post(PROCESS, json=order, headers=headers)
    assert challenged.status_code == 202, challenged.text
    assert challenged.json()["transaction"]["status"] == "requires_action"
    return Challenged(
        venue=venue,
        event=event,
        buyer=buyer,
        next_one=next_one,
        token=token,
        order=order,
        headers=headers,
        challenged=challenged,
    )


async def test_a_challenged_buyer_finishes_through_3d_secure_with_the_same_key(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container
) -> None:
    # Given an admitted buyer whose card asks for 3-D Secure, and one buyer waiting
    c = await challenged_purchase(client, auth)
    event, buyer, next_one = c.event, c.buyer, c.next_one
    order, headers, challenged = c.order, c.headers, c.challenged
    # While the challenge is open the buyer keeps the slot (the token is spent on it)
    held = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=buyer)).json()
    assert (held["state"], held["accessToken"]) == ("admitted", None)
    waiting = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=next_one)).json()
    assert waiting["state"] == "waiting"
    # When the buyer confirms and retries under the same key, the payment completes
    simulated = container.provider
    assert isinstance(simulated, SimulatedProvider)
    await simulated.complete_action(
        challenged.json()["transaction"]["stripePaymentIntentId"], succeed=True
    )
    finished = await client.post(PROCESS, json=order, headers=headers)
    assert finished.status_code == 200, finished.text
    assert finished.json()["transaction"]["status"] == "completed"
    # And the slot goes to the next buyer
    now = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=next_one)).json()
    assert now["state"] == "admitted"
    assert now["accessToken"]


async def test_a_buyer_whose_challenge_failed_keeps_the_slot_and_pays_with_a_fresh_token(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container
) -> None:
    c = await challenged_purchase(client, auth)
    venue, event, buyer, next_one, token = c.venue, c.event, c.buyer, c.next_one, c.token
    order, headers, challenged = c.order, c.headers, c.challenged
    # When the 3-D Secure challenge fails and the retry learns it
    simulated = container.provider
    assert isinstance(simulated, SimulatedProvider)
    await simulated.complete_action(
        challenged.json()["transaction"]["stripePaymentIntentId"], succeed=False
    )
    failed = await client.post(PROCESS, json=order, headers=headers)
    assert failed.status_code == 402, failed.text
    # Then the buyer is still admitted, with a fresh token, and nobody took the slot
    status = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=buyer)).json()
    assert status["state"] == "admitted", status
    assert status["accessToken"]
    assert status["accessToken"] != token
    waiting = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=next_one)).json()
    assert waiting["state"] == "waiting"
    # And another card under a new key and the fresh token completes the purchase
    paid = await client.post(
        PROCESS,
        json=in_person(body(venue, event)),
        headers={**keyed(buyer), "x-access-token": status["accessToken"]},
    )
    assert paid.status_code == 200, paid.text
    now = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=next_one)).json()
    assert now["state"] == "admitted"


async def test_a_refused_buyer_frees_the_slot_at_once(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, slots=1)
    bot, person = auth(user=uuid.uuid4()), auth(user=uuid.uuid4())
    token = await admitted_token(client, event, bot)
    await client.post(f"/api/v1/waiting-room/{event}/join", headers=person)
    refused = await client.post(
        PROCESS,
        json={**body(venue, event), "sessionData": headless_session()},
        headers={**keyed(bot), "x-access-token": token},
    )
    assert refused.json()["code"] == "BOT_DETECTED"
    status = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=person)).json()
    assert status["state"] == "admitted"
    # The bot's token no longer buys anything, however it dresses up.
    again = await client.post(
        PROCESS, json=in_person(body(venue, event)), headers={**keyed(bot), "x-access-token": token}
    )
    assert again.json()["code"] == "INVALID_ACCESS_TOKEN"


async def test_a_rate_limited_buyer_keeps_the_token_for_the_retry(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    response = await client.put(
        f"/api/v1/admin/fraud/policy/events/{event}",
        json={"velocity": {"limits": [{"dimension": "user", "windowSeconds": 3600, "limit": 1}]}},
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 200, response.text
    user = uuid.uuid4()
    buyer = auth(user=user)
    # A declined card uses up the buyer's one attempt of the hour (and frees the slot).
    declined = await client.post(
        PROCESS,
        json=in_person(body(venue, event, "pm_card_chargeDeclined")),
        headers={**keyed(buyer), "x-access-token": await admitted_token(client, event, buyer)},
    )
    assert declined.status_code == 402
    token = await admitted_token(client, event, buyer)
    limited = await client.post(
        PROCESS,
        json=in_person(body(venue, event)),
        headers={**keyed(buyer), "x-access-token": token},
    )
    assert limited.status_code == 429
    status = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=buyer)).json()
    assert status["state"] == "admitted"
    assert status["accessToken"] == token


async def test_an_event_sets_how_often_its_waiting_buyers_must_poll(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth)
    path = f"/api/v1/admin/events/{event}/high-demand"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    order = {"enabled": True, "onSaleAt": iso(later), "activeSlots": 5}
    for wrong in (14, 901, "60"):
        bad = await client.put(
            path, json={**order, "heartbeatSeconds": wrong}, headers=auth(Role.ADMIN)
        )
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == "heartbeatSeconds"
    put = await client.put(path, json={**order, "heartbeatSeconds": 300}, headers=auth(Role.ADMIN))
    assert put.status_code == 201, put.text
    assert put.json()["highDemand"]["heartbeatSeconds"] == 300
    stored = await client.get(path, headers=auth(Role.ADMIN))
    assert stored.json()["highDemand"]["heartbeatSeconds"] == 300
    buyer = auth(user=uuid.uuid4())
    joined = await client.post(f"/api/v1/waiting-room/{event}/join", headers=buyer)
    assert joined.json()["pollWithinSeconds"] == 300
    polled = await client.get(f"/api/v1/waiting-room/{event}/status", headers=buyer)
    assert polled.json()["pollWithinSeconds"] == 300


async def test_leaving_gives_up_the_place(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    _, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event, slots=1)
    first, second = auth(user=uuid.uuid4()), auth(user=uuid.uuid4())
    await client.post(f"/api/v1/waiting-room/{event}/join", headers=first)
    await client.post(f"/api/v1/waiting-room/{event}/join", headers=second)
    left = await client.post(f"/api/v1/waiting-room/{event}/leave", headers=first)
    assert left.status_code == 200
    assert left.json() == {"success": True}
    gone = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=first)).json()
    assert gone["state"] == "not_in_queue"
    promoted = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=second)).json()
    assert promoted["state"] == "admitted"


async def test_an_admin_can_revoke_a_buyers_token(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    user = uuid.uuid4()
    buyer = auth(user=user)
    token = await admitted_token(client, event, buyer)
    path = f"/api/v1/admin/events/{event}/waiting-room/{user}"
    assert (await client.delete(path, headers=buyer)).status_code == 403
    removed = await client.delete(path, headers=auth(Role.ADMIN))
    assert removed.status_code == 200, removed.text
    again = await client.delete(path, headers=auth(Role.ADMIN))
    assert again.status_code == 404
    assert again.json()["code"] == "NOT_IN_QUEUE"
    refused = await client.post(
        PROCESS, json=body(venue, event), headers={**keyed(buyer), "x-access-token": token}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "INVALID_ACCESS_TOKEN"
    async with container.infrastructure.engine.connect() as connection:
        actions = (
            (
                await connection.execute(
                    sa.select(waiting_room_activity.c.action).where(
                        waiting_room_activity.c.tenant_id == tenant
                    )
                )
            )
            .scalars()
            .all()
        )
    assert "token_revoked" in actions


async def test_an_event_without_a_waiting_room_is_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth)
    response = await client.post(f"/api/v1/waiting-room/{event}/join", headers=auth())
    assert response.status_code == 404
    assert response.json()["code"] == "WAITING_ROOM_NOT_FOUND"
    await high_demand(client, auth, event, enabled=False)
    closed = await client.get(f"/api/v1/waiting-room/{event}/status", headers=auth())
    assert closed.status_code == 404
    assert closed.json()["code"] == "WAITING_ROOM_NOT_FOUND"


async def test_the_presale_draw_is_published_and_checkable(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # Given an event going on sale in an hour, and five buyers who joined before the sale
    _, event = await venue_and_event(client, auth)
    in_an_hour = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    settings = await high_demand(client, auth, event, on_sale=in_an_hour, slots=2)
    buyers = [auth(user=uuid.uuid4()) for _ in range(5)]
    waiting: set[str] = set()
    for headers in buyers:
        joined = await client.post(f"/api/v1/waiting-room/{event}/join", headers=headers)
        assert joined.json()["state"] == "before_sale"
        assert joined.json()["position"] is None
        waiting.add(joined.json()["queueId"])
    # And before the sale only the commitment is public
    before = (await client.get(f"/api/v1/waiting-room/{event}/fairness", headers=auth())).json()
    assert before["seed"] is None
    assert before["presaleOrder"] == []
    assert before["seedCommitment"] == settings["seedCommitment"]
    # When the admin opens the sale now (an on-sale not yet reached may move earlier), so
    # no wait races a scheduled moment
    opened = await high_demand(client, auth, event, on_sale=dt.datetime.now(dt.UTC), slots=2)
    assert opened["seedCommitment"] == settings["seedCommitment"]
    # Then the seed is published, it is the committed one, and all five are in the draw
    after = (await client.get(f"/api/v1/waiting-room/{event}/fairness", headers=auth())).json()
    assert after["seed"] is not None
    assert hashlib.sha256(bytes.fromhex(after["seed"])).hexdigest() == after["seedCommitment"]
    assert after["seedCommitment"] == settings["seedCommitment"]
    assert len(after["presaleOrder"]) == 5
    assert set(after["presaleOrder"]) == waiting
    # And the two drawn first are the two admitted.
    statuses = [
        (await client.get(f"/api/v1/waiting-room/{event}/status", headers=headers)).json()
        for headers in buyers
    ]
    admitted = {status["queueId"] for status in statuses if status["state"] == "admitted"}
    assert admitted == set(after["presaleOrder"][:2])


@pytest.fixture
async def redis_down(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The same service with its Redis unreachable. Its simulated processor keeps its state
    in process: the processor is another system, and these tests are about our Redis."""
    broken = bootstrap(
        attrs.evolve(settings, redis_url=UNUSED_REDIS),
        overrides=Overrides(payment_provider=SimulatedProvider()),
    )
    try:
        transport = httpx.ASGITransport(app=create_app(broken))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await broken.aclose()


async def test_with_redis_down_the_waiting_room_fails_closed(
    client: httpx.AsyncClient, redis_down: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    token = await admitted_token(client, event, buyer)
    joined = await redis_down.post(f"/api/v1/waiting-room/{event}/join", headers=buyer)
    assert joined.status_code == 503
    assert joined.json()["code"] == "WAITING_ROOM_UNAVAILABLE"
    assert int(joined.headers["retry-after"]) >= 1
    paid = await redis_down.post(
        PROCESS,
        json=in_person(body(venue, event)),
        headers={**keyed(buyer), "x-access-token": token},
    )
    assert paid.status_code == 503
    assert paid.json()["code"] == "WAITING_ROOM_UNAVAILABLE"
    # Nothing was used up: with Redis back, the same token buys.
    again = await client.post(
        PROCESS,
        json=in_person(body(venue, event)),
        headers={**keyed(buyer), "x-access-token": token},
    )
    assert again.status_code == 200, again.text


async def test_with_redis_down_an_ordinary_payment_is_challenged_not_refused(
    client: httpx.AsyncClient, redis_down: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    response = await redis_down.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    # Velocity cannot be counted: the card's bank is asked to authenticate the buyer.
    assert response.status_code == 202, response.text
    assert response.json()["transaction"]["status"] == "requires_action"


async def test_another_tenants_event_with_the_same_id_is_another_room(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await high_demand(client, auth, event, on_sale=later, slots=5)
    ours = auth(user=uuid.uuid4())
    joined = await client.post(f"/api/v1/waiting-room/{event}/join", headers=ours)
    assert joined.json()["state"] == "before_sale"

    # Another tenant names an event of its own with the same id, on sale already.
    other = uuid.uuid4()
    admin = auth(Role.ADMIN, tenant_id=other)
    venue = str(uuid.uuid4())
    await client.put(
        f"/api/v1/admin/venues/{venue}",
        json={"name": "Elsewhere", "address": {"city": "Memphis", "state": "TN", "zip": "38103"}},
        headers=admin,
    )
    await client.put(
        f"/api/v1/admin/events/{event}",
        json={"venueId": venue, "name": "Same id", "startsAt": "2026-12-31T20:00:00-06:00"},
        headers=admin,
    )
    created = await client.put(
        f"/api/v1/admin/events/{event}/high-demand",
        json={"enabled": True, "onSaleAt": "2026-01-01T00:00:00Z", "activeSlots": 5},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    theirs = auth(user=uuid.uuid4(), tenant_id=other)
    their_status = await client.post(f"/api/v1/waiting-room/{event}/join", headers=theirs)
    assert their_status.json()["state"] == "admitted"

    # Our buyer is untouched: still waiting for our on-sale, in our room.
    still = (await client.get(f"/api/v1/waiting-room/{event}/status", headers=ours)).json()
    assert still["state"] == "before_sale"
    assert still["queueId"] != their_status.json()["queueId"]


async def test_an_opened_sale_cannot_move_back_into_the_future(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth)
    await high_demand(client, auth, event)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    response = await client.put(
        f"/api/v1/admin/events/{event}/high-demand",
        json={"enabled": True, "onSaleAt": iso(later), "activeSlots": 5},
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "ON_SALE_ALREADY_OPEN"
