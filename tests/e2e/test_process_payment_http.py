"""POST /payments/process, GET /payments/transaction/{id} and refunds, over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import attrs
import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import general_admission, service_with
from tt_money import USD, Money
from tt_payments import Container, Overrides, Settings
from tt_payments.auth.identity import Role
from tt_payments.db.tables.idempotency import payment_idempotency
from tt_payments.db.tables.ledger import ledger_entries
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.payments import nft_mint_queue, payment_refunds, payment_transactions
from tt_payments.idempotency import AnswerWriter
from tt_payments.ledger.ports import LedgerWriter
from tt_payments.outbox.ports import OutboxWriter
from tt_payments.payments.ports import PaymentsTransaction, PaymentWriter
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_payments.providers.types import RefundRequest
from tt_payments.tax.ports import TaxRecordWriter
from tt_payments.unit_of_work import UnitOfWork

AuthHeaders = Callable[..., dict[str, str]]
PROCESS = "/api/v1/payments/process"


@attrs.frozen
class _DiesAtTheOutbox:
    """A payments transaction whose outbox write kills the process (before COMMIT)."""

    inner: PaymentsTransaction

    @property
    def payments(self) -> PaymentWriter:
        return self.inner.payments

    @property
    def ledger(self) -> LedgerWriter:
        return self.inner.ledger

    @property
    def answers(self) -> AnswerWriter:
        return self.inner.answers

    @property
    def tax(self) -> TaxRecordWriter:
        return self.inner.tax

    @property
    def outbox(self) -> OutboxWriter:
        return self

    async def append(self, **event: object) -> uuid.UUID:
        raise RuntimeError("the process died before the commit")


def dies_at_the_outbox(
    transactions: UnitOfWork[PaymentsTransaction],
) -> UnitOfWork[PaymentsTransaction]:
    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[PaymentsTransaction]:
        async with transactions() as tx:
            yield _DiesAtTheOutbox(tx)

    return transaction


async def venue_and_event(
    client: httpx.AsyncClient, auth: AuthHeaders, *, capacity: int | None = 1000
) -> tuple[str, str]:
    """A Nashville venue and an event there selling ``capacity`` $50 tickets of
    ``general_admission(event)`` (None: no ticket type yet)."""
    venue, event = str(uuid.uuid4()), str(uuid.uuid4())
    admin = auth(Role.ADMIN)
    response = await client.put(
        f"/api/v1/admin/venues/{venue}",
        json={"name": "Ryman", "address": {"city": "Nashville", "state": "TN", "zip": "37203"}},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    response = await client.put(
        f"/api/v1/admin/events/{event}",
        json={"venueId": venue, "name": "Show", "startsAt": "2026-12-31T20:00:00-06:00"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    if capacity is not None:
        response = await client.put(
            f"/api/v1/admin/events/{event}/ticket-types/{general_admission(event)}",
            json={
                "name": "General admission",
                "price": 5000,
                "currency": "USD",
                "capacity": capacity,
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    return venue, event


def body(venue: str, event: str, card: str = "pm_card_visa") -> dict[str, object]:
    return {
        "venueId": venue,
        "eventId": event,
        "tickets": [
            {
                "ticketTypeId": general_admission(event),
                "quantity": 2,
                "price": 5000,
            }
        ],
        "paymentMethod": {"type": "card", "paymentMethodId": card},
        "deviceFingerprint": "abc123",
    }


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def provider(container: Container) -> SimulatedProvider:
    assert isinstance(container.provider, SimulatedProvider)
    return container.provider


async def count(container: Container, table: sa.Table, **where: object) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with container.infrastructure.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def test_a_paid_order_is_completed_with_its_fees_mint_job_and_event(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a venue in Nashville and an event there
    venue, event = await venue_and_event(client, auth)
    buyer = auth()
    # When a buyer pays for two $50 tickets with a good card
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
    # Then the payment is completed, with the fees charged and the mint queued
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    assert answer["transaction"]["status"] == "completed"
    assert answer["transaction"]["amount"] == 10000
    assert answer["nftStatus"] == "queued"
    fees = answer["fees"]
    assert fees["ticketPrice"] == 10000
    assert fees["platformFee"] == 820
    assert fees["gasEstimate"] == 100
    assert fees["total"] == answer["transaction"]["total"]
    assert fees["total"] == sum(value for key, value in fees.items() if key != "total")
    payment_id = uuid.UUID(answer["transaction"]["id"])
    assert answer["transaction"]["stripePaymentIntentId"].startswith("pi_sim_")
    assert uuid.UUID(answer["transaction"]["metadata"]["mintJobId"])
    # And exactly one journal entry, one mint job and one outbox event exist for it
    assert await count(container, ledger_entries, tenant_id=tenant, reference_id=payment_id) == 1
    assert await count(container, nft_mint_queue, tenant_id=tenant, payment_id=payment_id) == 1
    assert (
        await count(
            container,
            outbox,
            tenant_id=tenant,
            aggregate_id=payment_id,
            event_type="payment.completed",
        )
        == 1
    )
    # And the buyer can read it back
    status = await client.get(f"/api/v1/payments/transaction/{payment_id}", headers=buyer)
    assert status.status_code == 200, status.text
    assert status.json()["transaction"]["status"] == "completed"
    assert status.json()["nftStatus"]["status"] == "queued"


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
    ],
)
async def test_a_declined_card_is_402_and_the_payment_is_recorded_failed(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    tenant: uuid.UUID,
    card: str,
    decline_code: str,
) -> None:
    venue, event = await venue_and_event(client, auth)
    response = await client.post(PROCESS, json=body(venue, event, card), headers=keyed(auth()))
    assert response.status_code == 402, response.text
    error = response.json()
    assert error["code"] == "PAYMENT_FAILED"
    assert error["declineCode"] == decline_code
    payment_id = uuid.UUID(error["transactionId"])
    async with container.infrastructure.engine.connect() as connection:
        status = (
            await connection.execute(
                sa.select(payment_transactions.c.status).where(
                    payment_transactions.c.tenant_id == tenant,
                    payment_transactions.c.id == payment_id,
                )
            )
        ).scalar_one()
    assert status == "failed"
    assert await count(container, ledger_entries, tenant_id=tenant, reference_id=payment_id) == 0


async def test_3d_secure_answers_202_with_the_client_secret(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    response = await client.post(
        PROCESS, json=body(venue, event, "pm_card_authenticationRequired"), headers=keyed(auth())
    )
    assert response.status_code == 202, response.text
    assert response.json()["transaction"]["status"] == "requires_action"
    assert response.json()["nextAction"]["clientSecret"]


async def test_a_retry_with_the_same_key_replays_the_answer_byte_for_byte(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers = keyed(auth())
    charges_before = provider(container).charges_created
    order = body(venue, event)
    first = await client.post(PROCESS, json=order, headers=headers)
    second = await client.post(PROCESS, json=order, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    assert provider(container).charges_created == charges_before + 1


async def test_the_same_key_with_another_body_is_422_reused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers = keyed(auth())
    order = body(venue, event)
    await client.post(PROCESS, json=order, headers=headers)
    other = {**order, "deviceFingerprint": "something-else"}
    response = await client.post(PROCESS, json=other, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("key", "code"), [(None, "IDEMPOTENCY_KEY_MISSING"), ("nope", "IDEMPOTENCY_KEY_INVALID")]
)
async def test_process_needs_a_uuid4_idempotency_key_before_anything_else(
    client: httpx.AsyncClient, auth: AuthHeaders, key: str | None, code: str
) -> None:
    headers = auth()
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await client.post(PROCESS, json={"not": "even valid"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["tickets"][0].update(quantity=11), "tickets.0.quantity"),
        (lambda b: b["tickets"][0].update(quantity=0), "tickets.0.quantity"),
        (lambda b: b["tickets"][0].update(price=49.99), "tickets.0.price"),
        (lambda b: b["tickets"][0].update(price=0), "tickets.0.price"),
        (lambda b: b.update(tickets=[]), "tickets"),
        (
            lambda b: b.update(paymentMethod={"type": "bitcoin", "paymentMethodId": "x"}),
            "paymentMethod.type",
        ),
    ],
)
async def test_invalid_orders_are_422_naming_the_field(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    change: Callable[[dict[str, object]], None],
    field: str,
) -> None:
    payload = body(str(uuid.uuid4()), str(uuid.uuid4()))
    change(payload)
    response = await client.post(PROCESS, json=payload, headers=keyed(auth()))
    assert response.status_code == 422, response.text
    assert [item["field"] for item in response.json()["errors"]] == [field]


async def test_unknown_venue_or_event_is_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    venue, event = await venue_and_event(client, auth)
    response = await client.post(
        PROCESS, json=body(str(uuid.uuid4()), event), headers=keyed(auth())
    )
    assert response.status_code == 404
    assert response.json()["code"] == "VENUE_NOT_FOUND"
    response = await client.post(
        PROCESS, json=body(venue, str(uuid.uuid4())), headers=keyed(auth())
    )
    assert response.status_code == 404
    assert response.json()["code"] == "EVENT_NOT_FOUND"


async def test_a_timeout_after_the_charge_answers_202_and_the_retry_finishes_it_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers = keyed(auth())
    charges_before = provider(container).charges_created
    provider(container).fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    order = body(venue, event)
    first = await client.post(PROCESS, json=order, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["transaction"]["status"] == "processing"
    retry = await client.post(PROCESS, json=order, headers=headers)
    assert retry.status_code == 200, retry.text
    assert retry.json()["transaction"]["id"] == first.json()["transaction"]["id"]
    assert provider(container).charges_created == charges_before + 1
    payment_id = uuid.UUID(retry.json()["transaction"]["id"])
    assert await count(container, ledger_entries, tenant_id=tenant, reference_id=payment_id) == 1


async def test_only_the_buyer_an_admin_or_the_venue_manager_see_a_transaction(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    buyer = uuid.uuid4()
    paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=buyer)))
    path = f"/api/v1/payments/transaction/{paid.json()['transaction']['id']}"
    allowed = [
        auth(user=buyer),
        auth(Role.ADMIN),
        auth(Role.VENUE_MANAGER, venues=(uuid.UUID(venue),)),
    ]
    refused = [
        auth(),
        auth(Role.VENUE_MANAGER, venues=(uuid.uuid4(),)),
        auth(Role.ADMIN, tenant_id=uuid.uuid4()),
        auth(user=buyer, tenant_id=uuid.uuid4()),
    ]
    for headers in allowed:
        assert (await client.get(path, headers=headers)).status_code == 200
    for headers in refused:
        response = await client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "TRANSACTION_NOT_FOUND"


async def test_refunds_full_and_partial_never_exceed_the_capture(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    buyer = uuid.uuid4()
    paid = (
        await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=buyer)))
    ).json()
    payment_id, total = paid["transaction"]["id"], paid["transaction"]["total"]
    path = f"/api/v1/payments/transaction/{payment_id}/refund"
    manager = auth(Role.VENUE_MANAGER, venues=(uuid.UUID(venue),))
    # The buyer may not refund; a stranger does not even see the payment
    assert (await client.post(path, json={}, headers=keyed(auth(user=buyer)))).status_code == 403
    assert (await client.post(path, json={}, headers=keyed(auth()))).status_code == 404
    # A partial refund, then one too large, then the rest
    partial = await client.post(
        path, json={"amount": 1000, "reason": "seat"}, headers=keyed(manager)
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["refund"] == {
        "id": partial.json()["refund"]["id"],
        "amount": 1000,
        "status": "completed",
    }
    too_much = await client.post(path, json={"amount": total}, headers=keyed(manager))
    assert too_much.status_code == 400
    assert too_much.json()["code"] == "REFUND_EXCEEDS_ORIGINAL"
    rest = await client.post(path, json={}, headers=keyed(auth(Role.ADMIN)))
    assert rest.json()["refund"]["amount"] == total - 1000
    status = await client.get(f"/api/v1/payments/transaction/{payment_id}", headers=manager)
    assert status.json()["transaction"]["status"] == "refunded"
    assert status.json()["transaction"]["refundedAmount"] == total
    assert await count(container, outbox, tenant_id=tenant, event_type="refund.completed") == 2
    report = await container.ledger.verify()
    assert report.unbalanced_entries == ()


async def test_fifty_concurrent_partial_refunds_never_exceed_the_capture(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    paid = (await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))).json()
    payment_id, total = paid["transaction"]["id"], paid["transaction"]["total"]
    path = f"/api/v1/payments/transaction/{payment_id}/refund"
    share = total // 40
    admin = auth(Role.ADMIN)
    answers = await asyncio.gather(
        *(client.post(path, json={"amount": share}, headers=keyed(admin)) for _ in range(50))
    )
    succeeded = [answer for answer in answers if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code == 400]
    assert len(succeeded) + len(refused) == 50
    assert len(succeeded) == 40
    async with container.infrastructure.engine.connect() as connection:
        refunded = (
            await connection.execute(
                sa.select(sa.func.sum(payment_refunds.c.amount)).where(
                    payment_refunds.c.tenant_id == tenant,
                    payment_refunds.c.transaction_id == uuid.UUID(payment_id),
                    payment_refunds.c.status == "completed",
                )
            )
        ).scalar_one()
    assert refunded == 40 * share <= total
    assert (await container.ledger.verify()).ok


async def test_200_concurrent_requests_with_one_key_charge_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers = keyed(auth())
    charges_before = provider(container).charges_created
    order = body(venue, event)
    answers = await asyncio.gather(
        *(client.post(PROCESS, json=order, headers=headers) for _ in range(200))
    )
    codes = sorted({answer.status_code for answer in answers})
    assert set(codes) <= {200, 409}, codes
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} <= {
        "DUPLICATE_IN_PROGRESS"
    }
    completed = [answer for answer in answers if answer.status_code == 200]
    assert completed
    assert len({answer.content for answer in completed}) == 1
    assert provider(container).charges_created == charges_before + 1
    assert await count(container, payment_transactions, tenant_id=tenant) == 1
    assert await count(container, ledger_entries, tenant_id=tenant) == 1
    assert await count(container, outbox, tenant_id=tenant) == 1


async def test_metrics_and_admin_stats_count_payments(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    await client.post(
        PROCESS, json=body(venue, event, "pm_card_chargeDeclined"), headers=keyed(auth())
    )
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'payment_transactions_total{method="card",status="completed"}' in text
    assert 'payment_transactions_total{method="card",status="failed"}' in text
    assert "payment_amount_dollars_bucket" in text
    assert "payment_processing_duration_seconds" in text
    stats = await client.get("/admin/stats", headers=auth(Role.ADMIN))
    assert stats.status_code == 200, stats.text
    last_day = stats.json()["last24Hours"]
    assert (last_day["total_payments"], last_day["successful"], last_day["failed"]) == (2, 1, 1)
    assert last_day["total_revenue"] > 10000
    assert (await client.get("/admin/stats", headers=auth())).status_code == 403


async def test_a_crash_before_the_settling_commit_loses_nothing_and_the_retry_finishes(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    # Given a service whose settling transaction dies at its outbox row, after the charge
    # (the same simulated processor as the shared service's)
    venue, event = await venue_and_event(client, auth)
    headers, order = keyed(auth()), body(venue, event)
    charges_before = provider(container).charges_created
    dies = Overrides(payments_transactions=dies_at_the_outbox, payment_provider=container.provider)
    async with service_with(settings, dies) as (_, dying):
        crashed = await dying.post(PROCESS, json=order, headers=headers)
    assert crashed.status_code == 500, crashed.text
    # Then nothing of the settlement was kept: the payment is processing, no entry, and
    # the key is free (its answer rolled back with the rest)
    assert await count(container, ledger_entries, tenant_id=tenant) == 0
    assert await count(container, payment_idempotency, tenant_id=tenant) == 0
    # And the retry finishes the same payment with the same charge, once
    retry = await client.post(PROCESS, json=order, headers=headers)
    assert retry.status_code == 200, retry.text
    assert provider(container).charges_created == charges_before + 1
    assert await count(container, ledger_entries, tenant_id=tenant) == 1
    replay = await client.post(PROCESS, json=order, headers=headers)
    assert replay.content == retry.content
    assert replay.headers["Idempotent-Replayed"] == "true"


async def test_a_key_reused_for_another_order_after_its_record_lapsed_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers, order = keyed(auth()), body(venue, event)
    first = await client.post(PROCESS, json=order, headers=headers)
    assert first.status_code == 200, first.text
    # The idempotency record lapses (24 h) but the payment keeps its key
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.delete(payment_idempotency).where(payment_idempotency.c.tenant_id == tenant)
        )
    other = {**order, "tickets": [{**order["tickets"][0], "price": 4000}]}  # type: ignore[index]
    response = await client.post(PROCESS, json=other, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # Once that refusal's record lapses too, the same order under the same key still
    # answers the payment it made
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.delete(payment_idempotency).where(payment_idempotency.c.tenant_id == tenant)
        )
    again = await client.post(PROCESS, json=order, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"]


async def test_an_unknown_payment_method_fails_the_payment_instead_of_stranding_it(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    response = await client.post(
        PROCESS, json=body(venue, event, "pm_does_not_exist"), headers=keyed(auth())
    )
    assert response.status_code == 402, response.text
    assert response.json()["code"] == "PAYMENT_FAILED"
    assert response.json()["declineCode"] == "invalid_request"
    assert await count(container, payment_transactions, tenant_id=tenant, status="failed") == 1


async def test_a_3d_secure_retry_answers_the_client_secret_again(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers, order = keyed(auth()), body(venue, event, "pm_card_authenticationRequired")
    first = await client.post(PROCESS, json=order, headers=headers)
    retry = await client.post(PROCESS, json=order, headers=headers)
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json()["nextAction"] == first.json()["nextAction"]
    assert retry.json()["nextAction"]["clientSecret"]


async def test_after_3d_secure_a_retry_settles_the_payment(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    headers, order = keyed(auth()), body(venue, event, "pm_card_authenticationRequired")
    first = await client.post(PROCESS, json=order, headers=headers)
    assert first.status_code == 202, first.text
    await provider(container).complete_action(
        first.json()["transaction"]["stripePaymentIntentId"], succeed=True
    )
    retry = await client.post(PROCESS, json=order, headers=headers)
    assert retry.status_code == 200, retry.text
    assert retry.json()["transaction"]["status"] == "completed"
    assert await count(container, ledger_entries, tenant_id=tenant) == 1


async def test_a_payment_processing_for_a_day_is_never_charged_again(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a payment whose processor call timed out a day ago (its key may be forgotten)
    venue, event = await venue_and_event(client, auth)
    headers, order = keyed(auth()), body(venue, event)
    provider(container).fail_next(FaultPoint.TIMEOUT_BEFORE_CHARGE)
    first = await client.post(PROCESS, json=order, headers=headers)
    assert first.status_code == 202, first.text
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(payment_transactions)
            .where(payment_transactions.c.tenant_id == tenant)
            .values(created_at=sa.func.now() - sa.text("interval '24 hours'"))
        )
    charges_before = provider(container).charges_created
    # When the client retries now
    retry = await client.post(PROCESS, json=order, headers=headers)
    # Then it is told to wait (reconciliation settles it) and nothing is charged
    assert retry.status_code == 202, retry.text
    assert provider(container).charges_created == charges_before


async def test_a_currency_the_venue_does_not_sell_in_is_422(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    order = {**body(venue, event), "currency": "EUR"}
    response = await client.post(PROCESS, json=order, headers=keyed(auth()))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "UNSUPPORTED_CURRENCY"


async def test_a_refund_key_is_bound_to_its_payment(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, event = await venue_and_event(client, auth)
    admin = auth(Role.ADMIN)
    payments = [
        (await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))).json()
        for _ in range(2)
    ]
    headers = keyed(admin)
    paths = [f"/api/v1/payments/transaction/{p['transaction']['id']}/refund" for p in payments]
    first = await client.post(paths[0], json={"amount": 500}, headers=headers)
    assert first.status_code == 200, first.text
    other = await client.post(paths[1], json={"amount": 500}, headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_a_refund_retry_sends_what_was_recorded_and_completes_once(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a refund whose processor answer was lost (the processor did refund)
    venue, event = await venue_and_event(client, auth)
    paid = (await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))).json()
    path = f"/api/v1/payments/transaction/{paid['transaction']['id']}/refund"
    headers = keyed(auth(Role.ADMIN))
    provider(container).fail_next(FaultPoint.TIMEOUT_AFTER_REFUND)
    first = await client.post(path, json={"amount": 700, "reason": "seat"}, headers=headers)
    assert first.status_code == 202, first.text
    # When the key's record lapses and the retry says another reason
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.delete(payment_idempotency).where(payment_idempotency.c.tenant_id == tenant)
        )
    retry = await client.post(path, json={"amount": 700, "reason": "typo"}, headers=headers)
    # Then the processor got the recorded request again and the refund completed once
    assert retry.status_code == 200, retry.text
    assert retry.json()["refund"]["status"] == "completed"
    assert provider(container).refunds_created >= 1
    assert await count(container, payment_refunds, tenant_id=tenant, status="completed") == 1


async def test_a_refund_the_processor_refuses_is_422_refund_failed(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    paid = (await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))).json()
    payment_id = paid["transaction"]["id"]
    # The processor's own record says more was refunded already (a dashboard refund)
    await provider(container).refund(
        RefundRequest(
            provider_payment_id=paid["transaction"]["stripePaymentIntentId"],
            amount=Money(paid["transaction"]["total"], USD),
            idempotency_key=str(uuid.uuid4()),
        )
    )
    path = f"/api/v1/payments/transaction/{payment_id}/refund"
    response = await client.post(path, json={"amount": 100}, headers=keyed(auth(Role.ADMIN)))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "REFUND_FAILED"
    assert await count(container, payment_refunds, tenant_id=tenant, status="failed") == 1
