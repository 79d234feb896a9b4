"""Reconciliation against the simulated processor, on a database of its own.

Clean data gives no finding and no fix; each injected difference (a charge missing
locally, an amount mismatch, a refund made in the processor's dashboard, a payment stuck
processing, an orphaned payment, a stuck outbox row) is found and fixed or flagged, once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import attrs
import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import GENERAL_ADMISSION, general_admission
from tt_api.app import create_app
from tt_money import USD, Money
from tt_payments import Container, Settings, bootstrap
from tt_payments.auth.identity import Role
from tt_payments.db import migrate
from tt_payments.db.locks import advisory_lock
from tt_payments.db.tables.ledger import ledger_entries
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.payments import nft_mint_queue, payment_refunds, payment_transactions
from tt_payments.db.tables.reconciliation import reconciliation_findings
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_payments.providers.types import ChargeRequest, RefundRequest, provider_idempotency_key
from tt_payments.reconciliation.service import LOCK, ReconciliationReport

PROCESS = "/api/v1/payments/process"


@pytest.fixture(scope="module")
async def core(settings: Settings, fresh_database: Callable[[], str]) -> AsyncIterator[Container]:
    url = fresh_database()
    migrate.upgrade(url)
    container = bootstrap(attrs.evolve(settings, database_url=url))
    yield container
    await container.aclose()


@pytest.fixture(scope="module")
async def http(core: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(core))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def simulated(core: Container) -> SimulatedProvider:
    assert isinstance(core.provider, SimulatedProvider)
    return core.provider


@attrs.frozen
class Shop:
    core: Container
    http: httpx.AsyncClient
    tenant: uuid.UUID
    venue: str
    event: str

    def headers(self, role: Role = Role.USER) -> dict[str, str]:
        token = self.core.tokens.issue(subject=uuid.uuid4(), tenant_id=self.tenant, role=role)
        return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}

    async def pay(self, expect: int = 200) -> dict[str, object]:
        order = {
            "venueId": self.venue,
            "eventId": self.event,
            "tickets": [
                {"ticketTypeId": general_admission(self.event), "quantity": 1, "price": 5000}
            ],
            "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_visa"},
        }
        response = await self.http.post(PROCESS, json=order, headers=self.headers())
        assert response.status_code == expect, response.text
        transaction: dict[str, object] = response.json()["transaction"]
        return transaction


@pytest.fixture
async def shop(core: Container, http: httpx.AsyncClient) -> Shop:
    tenant, venue, event = uuid.uuid4(), str(uuid.uuid4()), str(uuid.uuid4())
    admin = {
        "Authorization": "Bearer "
        + core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    }
    put = await http.put(
        f"/api/v1/admin/venues/{venue}",
        json={"name": "Ryman", "address": {"city": "Nashville", "state": "TN", "zip": "37203"}},
        headers=admin,
    )
    assert put.status_code == 201, put.text
    put = await http.put(
        f"/api/v1/admin/events/{event}",
        json={"venueId": venue, "name": "Show", "startsAt": "2026-12-31T20:00:00Z"},
        headers=admin,
    )
    assert put.status_code == 201, put.text
    put = await http.put(
        f"/api/v1/admin/events/{event}/ticket-types/{general_admission(event)}",
        json=GENERAL_ADMISSION,
        headers=admin,
    )
    assert put.status_code == 201, put.text
    return Shop(core=core, http=http, tenant=tenant, venue=venue, event=event)


async def reconcile(core: Container) -> ReconciliationReport:
    report = await core.reconciliation.run()
    assert report is not None
    return report


async def status_of(core: Container, tenant: uuid.UUID, payment: object) -> str:
    async with core.infrastructure.engine.connect() as connection:
        return str(
            (
                await connection.execute(
                    sa.select(payment_transactions.c.status).where(
                        payment_transactions.c.tenant_id == tenant,
                        payment_transactions.c.id == uuid.UUID(str(payment)),
                    )
                )
            ).scalar_one()
        )


async def age(core: Container, tenant: uuid.UUID, minutes: int) -> None:
    async with core.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(payment_transactions)
            .where(payment_transactions.c.tenant_id == tenant)
            .values(created_at=sa.func.now() - sa.text(f"interval '{minutes} minutes'"))
        )


async def findings(core: Container) -> list[tuple[str, str]]:
    async with core.infrastructure.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(reconciliation_findings.c.kind, reconciliation_findings.c.provider_object_id)
        )
        return sorted((str(kind), str(object_id)) for kind, object_id in rows.all())


async def test_clean_data_has_no_finding_and_needs_no_fix(core: Container, shop: Shop) -> None:
    await reconcile(core)  # whatever earlier tests of this module left is settled first
    before = await findings(core)
    for _ in range(3):
        await shop.pay()
    report = await reconcile(core)
    assert report.fixes == []
    assert [f for f in report.findings if f["new"] == "true"] == []
    assert report.charges_checked >= 3
    assert await findings(core) == before
    assert (await core.ledger.verify()).ok


async def test_a_charge_missing_locally_is_flagged_once(core: Container, shop: Shop) -> None:
    stranger = await simulated(core).charge(
        ChargeRequest(
            amount=Money(4200, USD),
            payment_method_id="pm_card_visa",
            idempotency_key=str(uuid.uuid4()),
            metadata={"tenantId": str(shop.tenant), "transactionId": str(uuid.uuid4())},
        )
    )
    first = await reconcile(core)
    second = await reconcile(core)
    flagged = {"kind": "charge_missing_locally", "object": stranger.provider_payment_id}
    assert {**flagged, "new": "true"} in first.findings
    assert {**flagged, "new": "false"} in second.findings
    assert ("charge_missing_locally", stranger.provider_payment_id) in await findings(core)


async def test_an_amount_mismatch_is_flagged_not_fixed(core: Container, shop: Shop) -> None:
    paid = await shop.pay()
    intent = str(paid["stripePaymentIntentId"])
    await simulated(core).tamper(intent, amount=Money(1, USD))
    report = await reconcile(core)
    assert {"kind": "amount_mismatch", "object": intent, "new": "true"} in report.findings
    assert await status_of(core, shop.tenant, paid["id"]) == "completed"


async def test_a_refund_made_in_the_processor_dashboard_is_booked_once(
    core: Container, shop: Shop
) -> None:
    paid = await shop.pay()
    refund = await simulated(core).refund(
        RefundRequest(
            provider_payment_id=str(paid["stripePaymentIntentId"]),
            amount=Money(1000, USD),
            idempotency_key=str(uuid.uuid4()),
        )
    )
    first = await reconcile(core)
    assert any(refund.provider_refund_id in fix for fix in first.fixes), first.fixes
    second = await reconcile(core)
    assert not any(refund.provider_refund_id in fix for fix in second.fixes)
    assert await status_of(core, shop.tenant, paid["id"]) == "partially_refunded"
    async with core.infrastructure.engine.connect() as connection:
        refunds = (
            await connection.execute(
                sa.select(payment_refunds.c.status, payment_refunds.c.amount).where(
                    payment_refunds.c.tenant_id == shop.tenant
                )
            )
        ).all()
    assert [(str(s), int(a)) for s, a in refunds] == [("completed", 1000)]
    assert (await core.ledger.verify()).ok


async def test_a_payment_stuck_processing_is_settled_as_the_processor_says(
    core: Container, shop: Shop
) -> None:
    simulated(core).fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    paid = await shop.pay(expect=202)
    await age(core, shop.tenant, 16)
    report = await reconcile(core)
    assert report.stale_settled >= 1
    assert await status_of(core, shop.tenant, paid["id"]) == "completed"
    async with core.infrastructure.engine.connect() as connection:
        entries = (
            await connection.execute(
                sa.select(sa.func.count()).where(
                    ledger_entries.c.reference_id == uuid.UUID(str(paid["id"]))
                )
            )
        ).scalar_one()
    assert entries == 1


async def test_a_payment_the_processor_never_saw_expires(core: Container, shop: Shop) -> None:
    charges_before = simulated(core).charges_created
    simulated(core).fail_next(FaultPoint.TIMEOUT_BEFORE_CHARGE)
    paid = await shop.pay(expect=202)
    await age(core, shop.tenant, 16)
    report = await reconcile(core)
    assert report.stale_expired >= 1
    assert await status_of(core, shop.tenant, paid["id"]) == "cancelled"
    assert simulated(core).charges_created == charges_before  # nothing was charged
    key = provider_idempotency_key(shop.tenant, uuid.UUID(str(paid["id"])), "charge")
    assert await simulated(core).payment_id_for(key) is None


async def test_an_orphaned_payment_gets_its_mint_job_and_event_back(
    core: Container, shop: Shop
) -> None:
    paid = await shop.pay()
    payment_id = uuid.UUID(str(paid["id"]))
    async with core.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.delete(nft_mint_queue).where(nft_mint_queue.c.payment_id == payment_id)
        )
        await connection.execute(sa.delete(outbox).where(outbox.c.aggregate_id == payment_id))
    report = await reconcile(core)
    assert report.orphans_restored >= 1
    again = await reconcile(core)
    assert not any(str(payment_id) in fix for fix in again.fixes)
    async with core.infrastructure.engine.connect() as connection:
        jobs = (
            await connection.execute(
                sa.select(sa.func.count()).where(nft_mint_queue.c.payment_id == payment_id)
            )
        ).scalar_one()
        events = (
            await connection.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.aggregate_id == payment_id, outbox.c.event_type == "payment.completed"
                )
            )
        ).scalar_one()
    assert (jobs, events) == (1, 1)


async def test_a_second_capture_for_the_same_payment_is_flagged(
    core: Container, shop: Shop
) -> None:
    paid = await shop.pay()
    second = await simulated(core).charge(
        ChargeRequest(
            amount=Money(int(str(paid["total"])), USD),
            payment_method_id="pm_card_visa",
            idempotency_key=str(uuid.uuid4()),  # a retry after the first key was forgotten
            metadata={"tenantId": str(shop.tenant), "transactionId": str(paid["id"])},
        )
    )
    report = await reconcile(core)
    assert {
        "kind": "duplicate_charge",
        "object": second.provider_payment_id,
        "new": "true",
    } in report.findings


async def test_a_payment_abandoned_in_3d_secure_expires_once(core: Container, shop: Shop) -> None:
    order_headers = shop.headers()
    response = await shop.http.post(
        PROCESS,
        json={
            "venueId": shop.venue,
            "eventId": shop.event,
            "tickets": [
                {"ticketTypeId": general_admission(shop.event), "quantity": 1, "price": 5000}
            ],
            "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_authenticationRequired"},
        },
        headers=order_headers,
    )
    assert response.status_code == 202, response.text
    payment_id = response.json()["transaction"]["id"]
    await age(core, shop.tenant, 61)
    first = await reconcile(core)
    assert any(payment_id in fix for fix in first.fixes), first.fixes
    assert await status_of(core, shop.tenant, payment_id) == "cancelled"
    second = await reconcile(core)
    assert not any(payment_id in fix for fix in second.fixes)


async def test_outbox_rows_stuck_for_ten_minutes_are_made_due(core: Container, shop: Shop) -> None:
    async with core.payments.uow() as tx:
        await tx.outbox.append(
            tenant_id=shop.tenant,
            event_type="payment.completed",
            aggregate_type="payment",
            aggregate_id=uuid.uuid4(),
            data={},
        )
    async with core.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(outbox)
            .where(outbox.c.tenant_id == shop.tenant)
            .values(
                created_at=sa.func.now() - sa.text("interval '11 minutes'"),
                next_attempt_at=sa.func.now() + sa.text("interval '1 hour'"),
            )
        )
    report = await reconcile(core)
    assert report.outbox_reset >= 1
    async with core.infrastructure.engine.connect() as connection:
        due = (
            await connection.execute(
                sa.select(outbox.c.next_attempt_at <= sa.func.now()).where(
                    outbox.c.tenant_id == shop.tenant
                )
            )
        ).scalar_one()
    assert due is True


async def test_a_run_does_not_start_while_another_holds_the_lock(core: Container) -> None:
    async with advisory_lock(core.infrastructure.engine, LOCK) as got:
        assert got
        assert await core.reconciliation.run() is None
