"""Fraud checks over HTTP: bots, known scalpers, velocity limits, challenge and review,
and the admin routes (decisions, the known-scalper list, policies)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable

import httpx
import sqlalchemy as sa

from tests.e2e.test_process_payment_http import PROCESS, body, count, keyed, venue_and_event
from tt_payments import Container
from tt_payments.auth.identity import Role
from tt_payments.db.tables.fraud import bot_detections, device_activity, fraud_checks
from tt_payments.db.tables.payments import payment_transactions

AuthHeaders = Callable[..., dict[str, str]]
CHECKS = "/api/v1/admin/fraud/checks"
SCALPERS = "/api/v1/admin/fraud/scalpers"
POLICY = "/api/v1/admin/fraud/policy"


def headless_session() -> dict[str, object]:
    return {
        "sessionId": "sess-bot-1",
        "actions": [{"type": "click", "timestamp": 1000 + 50 * i} for i in range(12)],
        "browserFeatures": {
            "webdriver": True,
            "plugins": 0,
            "languages": 0,
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
        },
    }


def human_session() -> dict[str, object]:
    """A hand on a mouse: a curved path with wobble, uneven frames, pauses, two clicks."""
    rng = random.Random(7)
    moves = []
    at = 1000
    for step in range(60):
        at += rng.choice((8, 16, 16, 17, 24, 33))
        t = step / 60
        x = int(100 + 500 * t + rng.uniform(-3, 3))
        y = int(100 + 300 * t * t + 60 * t * (1 - t) + rng.uniform(-3, 3))
        moves.append({"type": "mousemove", "timestamp": at, "x": x, "y": y})
    clicks = [
        {"type": "click", "timestamp": at + 730, "x": 600, "y": 400},
        {"type": "click", "timestamp": at + 2950, "x": 640, "y": 520},
    ]
    return {
        "sessionId": "sess-human-1",
        "actions": [*moves, *clicks],
        "browserFeatures": {
            "webdriver": False,
            "plugins": 3,
            "languages": 2,
            "hardwareConcurrency": 8,
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15",
        },
    }


async def many_tickets_allowed(client: httpx.AsyncClient, auth: AuthHeaders, event: str) -> None:
    """The event's purchase limits raised, so a test of the velocity limits meets those."""
    response = await client.put(
        f"/api/v1/admin/events/{event}/high-demand",
        json={
            "enabled": False,
            "onSaleAt": "2026-01-01T00:00:00Z",
            "activeSlots": 1,
            "purchaseLimits": {"perUser": 100, "perPaymentMethod": 100, "perOrder": 4},
        },
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 201, response.text


async def set_rules(
    client: httpx.AsyncClient, auth: AuthHeaders, rules: list[dict[str, object]]
) -> None:
    response = await client.put(POLICY, json={"rules": {"rules": rules}}, headers=auth(Role.ADMIN))
    assert response.status_code == 200, response.text


async def test_a_headless_browser_is_403_bot_detected_and_recorded(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    order = {**body(venue, event), "sessionData": headless_session()}
    response = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert response.status_code == 403
    assert response.json()["code"] == "BOT_DETECTED"
    assert await count(container, payment_transactions, tenant_id=tenant) == 0
    async with container.infrastructure.engine.connect() as connection:
        check = (
            (
                await connection.execute(
                    sa.select(fraud_checks).where(fraud_checks.c.tenant_id == tenant)
                )
            )
            .mappings()
            .one()
        )
        detection = (
            (
                await connection.execute(
                    sa.select(bot_detections).where(bot_detections.c.tenant_id == tenant)
                )
            )
            .mappings()
            .one()
        )
    assert check["decision"] == "decline"
    assert check["rule"] == "block_bot"
    assert any("webdriver" in signal["name"] for signal in check["signals"])
    assert detection["is_bot"] is True
    assert detection["session_id"] == "sess-bot-1"
    assert "webdriver" in detection["indicators"]


async def test_a_person_is_approved_and_the_device_remembered(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    order = {**body(venue, event), "sessionData": human_session()}
    response = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert response.status_code == 200, response.text
    async with container.infrastructure.engine.connect() as connection:
        decision = (
            await connection.execute(
                sa.select(fraud_checks.c.decision).where(fraud_checks.c.tenant_id == tenant)
            )
        ).scalar_one()
    assert decision == "approve"
    assert (
        await count(container, device_activity, tenant_id=tenant, device_fingerprint="abc123") == 1
    )


async def test_session_data_as_a_browser_serializes_it_is_a_person(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # navigator.languages is an array of strings; JSON.stringify(navigator.plugins) is an
    # object with index keys: what a real checkout page sends
    venue, event = await venue_and_event(client, auth)
    session = human_session()
    features = dict(session["browserFeatures"])  # type: ignore[call-overload]
    features.update(languages=["en-US", "en"], plugins={"0": {}, "1": {}, "2": {}})
    order = {**body(venue, event), "sessionData": {**session, "browserFeatures": features}}
    response = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert response.status_code == 200, response.text
    async with container.infrastructure.engine.connect() as connection:
        decision = (
            await connection.execute(
                sa.select(fraud_checks.c.decision).where(fraud_checks.c.tenant_id == tenant)
            )
        ).scalar_one()
    assert decision == "approve"
    schema = (await client.get("/schema/openapi.json")).json()
    described = schema["components"]["schemas"]["ProcessPaymentRequest"]["properties"]
    assert "navigator.languages" in str(described["sessionData"])


async def test_malformed_session_data_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    order = {
        **body(venue, event),
        "sessionData": {"actions": [{"type": "click", "timestamp": "soon"}]},
    }
    response = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("sessionData.actions[0]")


async def test_a_known_scalper_is_403_fraud_detected_until_removed(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    user = uuid.uuid4()
    added = await client.post(
        SCALPERS,
        json={"userId": str(user), "reason": "resold 40 tickets"},
        headers=auth(Role.ADMIN),
    )
    assert added.status_code == 201, added.text
    scalper_id = added.json()["scalper"]["id"]
    again = await client.post(
        SCALPERS, json={"userId": str(user), "reason": "and more"}, headers=auth(Role.ADMIN)
    )
    assert again.status_code == 200
    assert again.json()["scalper"]["id"] == scalper_id
    listed = await client.get(SCALPERS, headers=auth(Role.ADMIN))
    assert [row["id"] for row in listed.json()["scalpers"]] == [scalper_id]

    refused = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=user)))
    assert refused.status_code == 403
    assert refused.json()["code"] == "FRAUD_DETECTED"

    removed = await client.delete(f"{SCALPERS}/{scalper_id}", headers=auth(Role.ADMIN))
    assert removed.status_code == 200
    gone = await client.delete(f"{SCALPERS}/{scalper_id}", headers=auth(Role.ADMIN))
    assert gone.status_code == 404
    assert gone.json()["code"] == "SCALPER_NOT_FOUND"
    paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=user)))
    assert paid.status_code == 200, paid.text


async def test_known_scalper_entries_need_someone_and_an_admin(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    nobody = await client.post(SCALPERS, json={"reason": "x"}, headers=auth(Role.ADMIN))
    assert nobody.status_code == 422
    not_admin = await client.post(
        SCALPERS, json={"userId": str(uuid.uuid4()), "reason": "x"}, headers=auth()
    )
    assert not_admin.status_code == 403
    assert (await client.get(CHECKS, headers=auth())).status_code == 403


async def test_the_sixth_payment_in_an_hour_is_429_with_retry_after(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await many_tickets_allowed(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    for _ in range(5):
        paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
        assert paid.status_code == 200, paid.text
    headers = keyed(buyer)
    order = body(venue, event)
    sixth = await client.post(PROCESS, json=order, headers=headers)
    assert sixth.status_code == 429
    assert sixth.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(sixth.headers["retry-after"]) <= 3600
    # Not kept under the key: the same retry is refused by the limit again, not replayed.
    again = await client.post(PROCESS, json=order, headers=headers)
    assert again.status_code == 429
    assert "idempotent-replayed" not in again.headers


async def test_a_retry_under_one_key_counts_once_against_the_limits(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await many_tickets_allowed(client, auth, event)
    buyer = auth(user=uuid.uuid4())
    headers, order = keyed(buyer), body(venue, event)
    answers = await asyncio.gather(
        *(client.post(PROCESS, json=order, headers=headers) for _ in range(20))
    )
    assert {answer.status_code for answer in answers} <= {200, 409}
    for _ in range(4):
        paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
        assert paid.status_code == 200, paid.text


async def test_a_challenge_rule_asks_for_3d_secure(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await set_rules(
        client,
        auth,
        [
            {
                "name": "challenge_everyone",
                "kind": "challenge",
                "signal": "user_role",
                "op": "==",
                "value": "user",
            }
        ],
    )
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert response.status_code == 202, response.text
    assert response.json()["transaction"]["status"] == "requires_action"


async def test_a_review_rule_lets_the_payment_through_flagged(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await set_rules(
        client,
        auth,
        [
            {
                "name": "review_everyone",
                "kind": "review",
                "signal": "user_role",
                "op": "==",
                "value": "user",
            }
        ],
    )
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert response.status_code == 200, response.text
    async with container.infrastructure.engine.connect() as connection:
        metadata = (
            await connection.execute(
                sa.select(payment_transactions.c.metadata).where(
                    payment_transactions.c.tenant_id == tenant
                )
            )
        ).scalar_one()
    assert metadata["review"] is True
    assert metadata["checkReasons"] == ["review_everyone"]
    listed = await client.get(CHECKS, params={"decision": "review"}, headers=auth(Role.ADMIN))
    assert listed.status_code == 200
    checks = listed.json()["checks"]
    assert len(checks) == 1
    assert checks[0]["rule"] == "review_everyone"


async def test_an_event_policy_overrides_the_tenant_policy(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    other_venue, other_event = await venue_and_event(client, auth)
    tight = {"limits": [{"dimension": "user", "windowSeconds": 3600, "limit": 1}]}
    response = await client.put(
        f"{POLICY}/events/{event}", json={"velocity": tight}, headers=auth(Role.ADMIN)
    )
    assert response.status_code == 200, response.text
    assert response.json()["velocity"] == {
        "limits": [{"dimension": "user", "windowSeconds": 3600, "limit": 1}]
    }
    buyer = auth(user=uuid.uuid4())
    assert (
        await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
    ).status_code == 200
    second = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
    assert second.status_code == 429
    elsewhere = await client.post(
        PROCESS, json=body(other_venue, other_event), headers=keyed(buyer)
    )
    assert elsewhere.status_code == 200, elsewhere.text


async def test_a_bad_policy_is_422_and_nothing_changes(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    bad_limit = {"velocity": {"limits": [{"dimension": "moon", "windowSeconds": 60, "limit": 1}]}}
    response = await client.put(POLICY, json=bad_limit, headers=auth(Role.ADMIN))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limits[0].dimension"
    float_rule = {
        "rules": {
            "rules": [
                {"name": "r", "kind": "block", "signal": "bot_score", "op": ">", "value": 0.5}
            ]
        }
    }
    response = await client.put(POLICY, json=float_rule, headers=auth(Role.ADMIN))
    assert response.status_code == 422
    not_admin = await client.put(POLICY, json={}, headers=auth())
    assert not_admin.status_code == 403


async def test_fraud_checks_are_listed_newest_first_with_filters(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    user = uuid.uuid4()
    await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=user)))
    await client.post(
        PROCESS,
        json={**body(venue, event), "sessionData": headless_session()},
        headers=keyed(auth()),
    )
    everything = (await client.get(CHECKS, headers=auth(Role.ADMIN))).json()["checks"]
    assert [check["decision"] for check in everything] == ["decline", "approve"]
    mine = (await client.get(CHECKS, params={"userId": str(user)}, headers=auth(Role.ADMIN))).json()
    assert [check["userId"] for check in mine["checks"]] == [str(user)]
    bad = await client.get(CHECKS, params={"decision": "maybe"}, headers=auth(Role.ADMIN))
    assert bad.status_code == 422
    bad_limit = await client.get(CHECKS, params={"limit": "0"}, headers=auth(Role.ADMIN))
    assert bad_limit.status_code == 422


async def test_buyers_sharing_an_idempotency_key_still_count_apart_on_one_ip(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    # Given a limit of two payments per IP an hour (an hour, so however slow the machine
    # the three payments fall in one window)
    venue, event = await venue_and_event(client, auth)
    two_an_hour = {"limits": [{"dimension": "ip", "windowSeconds": 3600, "limit": 2}]}
    response = await client.put(POLICY, json={"velocity": two_an_hour}, headers=auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    # When three buyers pay from the one IP under one shared Idempotency-Key
    key = str(uuid.uuid4())
    codes = [
        (
            await client.post(
                PROCESS, json=body(venue, event), headers=keyed(auth(user=uuid.uuid4()), key)
            )
        ).status_code
        for _ in range(3)
    ]
    # Then each counts on its own: the third is over the limit
    assert codes == [200, 200, 429]


async def test_a_declined_attempt_still_counts_against_the_velocity_limits(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await many_tickets_allowed(client, auth, event)
    one_an_hour = {"limits": [{"dimension": "user", "windowSeconds": 3600, "limit": 1}]}
    response = await client.put(POLICY, json={"velocity": one_an_hour}, headers=auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    buyer = auth(user=uuid.uuid4())
    bot = await client.post(
        PROCESS,
        json={**body(venue, event), "sessionData": headless_session()},
        headers=keyed(buyer),
    )
    assert bot.json()["code"] == "BOT_DETECTED"
    after = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
    assert after.status_code == 429
