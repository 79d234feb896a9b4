"""A fault at any step of a payment or a refund never charges twice or loses a ledger entry.

The steps (``process_payment`` and ``refund_payment`` module docstrings) and where each test
breaks them:

- before the processor call: the processor times out before the request arrives
  (``FaultPoint.TIMEOUT_BEFORE_CHARGE`` / ``_REFUND``): nothing was charged;
- after the processor call: the processor charged but its answer was lost
  (``TIMEOUT_AFTER_CHARGE`` / ``_REFUND``): money moved and we do not know it yet;
- before the final commit: the process dies between the last statement of the unit of work
  that records the outcome and its COMMIT (``CrashBeforeCommit``): money moved and every
  row that would say so is rolled back.

Each time the first call leaves the payment (or refund) ``processing`` and a retry with the
same idempotency key settles it: one processor charge, one ``payment.captured`` entry, one
outbox row and one mint job (one processor refund and one ``refund.completed`` entry), and
the ledger verifies, also when the retry lands on another process (a restart: empty
caches, same database and processor). Each test runs its own ``SimulatedProvider`` and
stores, so its faults stay out of every other test.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    REFUND_COMPLETED_KIND,
    PaymentEvent,
    PaymentStatus,
    RefundStatus,
)
from tt_money import USD, Money
from tt_payments import Container
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import Event, Venue
from tt_payments.catalog import service as catalog_use_cases
from tt_payments.db.tables.ledger import ledger_entries
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.payments import nft_mint_queue, payment_intents, payment_refunds
from tt_payments.ledger.sql import SqlLedger
from tt_payments.payments import PaymentRecord, PaymentRequest, RefundRecord, TicketLine
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentService
from tt_payments.payments.sql import SqlPayments, SqlPaymentsTransaction, SqlPaymentWriter
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_payments.providers.types import ChargeStatus
from tt_tax import Address

T = TypeVar("T")


class ProcessKilledError(RuntimeError):
    """The process died: what it had not committed is gone."""


class _WatchedWriter(SqlPaymentWriter):
    """The payments writer, remembering whether it moved a payment to another status."""

    def __init__(self, connection: AsyncConnection, ledger: SqlLedger) -> None:
        super().__init__(connection, ledger)
        self.moved_a_payment = False

    async def transition(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        event: PaymentEvent,
        target: PaymentStatus,
        **changes: Any,
    ) -> bool:
        moved = await super().transition(tenant_id, transaction_id, event, target, **changes)
        self.moved_a_payment = self.moved_a_payment or moved
        return moved


class CrashBeforeCommit:
    """The payments context's unit of work in a process that dies just before a COMMIT,
    when told to.

    After ``crash_before_next_commit()``, the next transaction that moves a payment's
    status (the one that records a capture, or a refund's completion, with its journal
    entry, outbox row and mint job) raises ``ProcessKilledError`` after its last statement:
    the transaction rolls back, as when the process is killed before COMMIT reaches the
    database. Until then, and afterwards, it is the real ``SqlUnitOfWork``'s transaction.
    """

    def __init__(self, engine: AsyncEngine, ledger: SqlLedger) -> None:
        self._engine = engine
        self._ledger = ledger
        self._crashes = 0

    def crash_before_next_commit(self) -> None:
        self._crashes += 1

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlPaymentsTransaction]:
        async with self._engine.begin() as connection:
            work = SqlPaymentsTransaction(connection, self._ledger)
            watched = _WatchedWriter(connection, self._ledger)
            work.payments = watched
            yield work
            if watched.moved_a_payment and self._crashes:
                self._crashes -= 1
                raise ProcessKilledError("the process died before COMMIT")


@attrs.frozen(kw_only=True)
class PaymentCore:
    """The payment use cases of one process, over the shared database, with their own
    simulated processor (the "outside world" other processes of the same test may share)."""

    processor: SimulatedProvider
    store: SqlPayments
    crashing: CrashBeforeCommit
    payments: PaymentService
    refunds: RefundService


def payment_core(container: Container, processor: SimulatedProvider | None = None) -> PaymentCore:
    """A fresh process: its own stores (and ledger account cache) on the test database."""
    processor = processor or SimulatedProvider()
    ledger = SqlLedger(container.infrastructure.engine)
    store = SqlPayments(container.infrastructure.engine)
    crashing = CrashBeforeCommit(container.infrastructure.engine, ledger)
    payments = attrs.evolve(
        container.payments, payments=store, uow=crashing, accounts=ledger, provider=processor
    )
    refunds = RefundService(
        payments=store,
        uow=crashing,
        accounts=ledger,
        lookup=payments,
        provider=processor,
        metrics=payments.metrics,
    )
    return PaymentCore(
        processor=processor, store=store, crashing=crashing, payments=payments, refunds=refunds
    )


@attrs.frozen(kw_only=True)
class Shop:
    """A Nashville venue with an event, an admin of its tenant, and a buyer."""

    tenant: uuid.UUID
    venue: uuid.UUID
    event: uuid.UUID
    admin: Principal
    buyer: Principal
    ticket_type: uuid.UUID
    """General admission at $50, 10,000 of them."""

    def order(self, card: str = "pm_card_visa") -> PaymentRequest:
        return PaymentRequest(
            tenant_id=self.tenant,
            user_id=self.buyer.user_id,
            venue_id=self.venue,
            event_id=self.event,
            idempotency_key=uuid.uuid4(),
            tickets=(
                TicketLine(ticket_type_id=self.ticket_type, quantity=2, price=Money(5000, USD)),
            ),
            payment_method_id=card,
        )


async def open_shop(container: Container, tenant: uuid.UUID) -> Shop:
    admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    venue = Venue(
        tenant_id=tenant,
        id=uuid.uuid4(),
        name="Ryman Auditorium",
        address=Address(street="116 5th Ave N", city="Nashville", state="TN", zip="37219"),
        time_zone="America/Chicago",
    )
    event = Event(
        tenant_id=tenant,
        id=uuid.uuid4(),
        venue_id=venue.id,
        name="Show",
        starts_at=dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC),
    )
    await catalog_use_cases.put_venue(container.catalog, container.tax, admin, venue)
    await catalog_use_cases.put_event(container.catalog, admin, event)
    ticket_type, _ = await container.ticket_types.put(
        admin,
        event_id=event.id,
        ticket_type_id=uuid.uuid4(),
        name="General admission",
        price=Money(5000, USD),
        capacity=10_000,
    )
    buyer = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.USER)
    return Shop(
        tenant=tenant,
        venue=venue.id,
        event=event.id,
        admin=admin,
        buyer=buyer,
        ticket_type=ticket_type.id,
    )


@pytest.fixture
async def shop(container: Container, tenant: uuid.UUID) -> Shop:
    return await open_shop(container, tenant)


async def rows(container: Container, table: sa.Table, **where: object) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with container.infrastructure.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def survive(call: Awaitable[T]) -> T | None:
    """The answer of ``call``, or None when the process crashed during it."""
    try:
        return await call
    except ProcessKilledError:
        return None


async def payment_of(core: PaymentCore, request: PaymentRequest) -> PaymentRecord:
    record = await core.store.find_by_idempotency_key(
        request.tenant_id, request.user_id, request.idempotency_key
    )
    assert record is not None
    return record


async def assert_not_recorded(container: Container, record: PaymentRecord) -> None:
    """Still ``processing``: no entry, outbox row, mint job or intent says it was paid."""
    assert record.status is PaymentStatus.PROCESSING
    tenant = record.tenant_id
    assert await rows(container, ledger_entries, tenant_id=tenant, reference_id=record.id) == 0
    assert await rows(container, outbox, tenant_id=tenant, aggregate_id=record.id) == 0
    assert await rows(container, nft_mint_queue, tenant_id=tenant, payment_id=record.id) == 0
    assert await rows(container, payment_intents, tenant_id=tenant, transaction_id=record.id) == 0


async def assert_paid_once(container: Container, core: PaymentCore, record: PaymentRecord) -> None:
    """One charge at the processor, and exactly one of everything that records it."""
    assert record.status is PaymentStatus.COMPLETED
    assert core.processor.charges_created == 1
    assert record.provider_payment_id is not None
    charge = await core.processor.retrieve(record.provider_payment_id)
    assert charge.status is ChargeStatus.SUCCEEDED
    assert charge.amount == record.total
    tenant, payment = record.tenant_id, record.id
    assert {
        "entries": await rows(container, ledger_entries, tenant_id=tenant),
        "its capture": await rows(
            container, ledger_entries, reference_id=payment, kind=PAYMENT_CAPTURED_KIND
        ),
        "outbox rows": await rows(container, outbox, tenant_id=tenant),
        "its completion": await rows(
            container, outbox, aggregate_id=payment, event_type="payment.completed"
        ),
        "mint jobs": await rows(container, nft_mint_queue, tenant_id=tenant, payment_id=payment),
        "intents": await rows(container, payment_intents, tenant_id=tenant),
    } == dict.fromkeys(
        ["entries", "its capture", "outbox rows", "its completion", "mint jobs", "intents"], 1
    )
    assert (await container.ledger.verify()).ok


Fault = Callable[[PaymentCore], None]


def timeout(point: FaultPoint) -> Fault:
    return lambda core: core.processor.fail_next(point)


def crash_before_commit(core: PaymentCore) -> None:
    core.crashing.crash_before_next_commit()


@pytest.mark.parametrize(
    ("fault", "charged_before_the_retry"),
    [
        pytest.param(timeout(FaultPoint.TIMEOUT_BEFORE_CHARGE), 0, id="before-the-charge"),
        pytest.param(timeout(FaultPoint.TIMEOUT_AFTER_CHARGE), 1, id="after-the-charge"),
        pytest.param(crash_before_commit, 1, id="before-the-commit"),
    ],
)
async def test_a_fault_in_a_payment_is_settled_once_by_the_retry(
    container: Container, shop: Shop, fault: Fault, charged_before_the_retry: int
) -> None:
    # Given a processor (or a process) that fails at one step of the payment
    core = payment_core(container)
    fault(core)
    order = shop.order()
    # When the buyer pays, the payment is left processing, with nothing recorded
    first = await survive(core.payments.process(shop.buyer, order))
    if first is not None:
        assert not first.settled
    unsettled = await payment_of(core, order)
    await assert_not_recorded(container, unsettled)
    assert core.processor.charges_created == charged_before_the_retry
    # When the buyer retries with the same idempotency key
    retry = await core.payments.process(shop.buyer, order)
    # Then the same payment completes, charged and recorded exactly once
    assert retry.settled
    assert retry.record.id == unsettled.id
    await assert_paid_once(container, core, retry.record)
    # And a further retry changes nothing
    again = await core.payments.process(shop.buyer, order)
    assert again.record == retry.record
    await assert_paid_once(container, core, again.record)


async def test_concurrent_retries_after_a_lost_answer_charge_and_record_once(
    container: Container, shop: Shop
) -> None:
    # Given a payment the processor charged but whose answer was lost
    core = payment_core(container)
    core.processor.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    order = shop.order()
    first = await core.payments.process(shop.buyer, order)
    assert not first.settled
    # When the client and a second tab retry at the same moment
    outcomes = await asyncio.gather(*(core.payments.process(shop.buyer, order) for _ in range(8)))
    # Then every answer is the one completed payment, and only one finisher recorded it
    assert {outcome.record.id for outcome in outcomes} == {first.record.id}
    assert {outcome.record.status for outcome in outcomes} == {PaymentStatus.COMPLETED}
    await assert_paid_once(container, core, await payment_of(core, order))


async def test_a_declined_card_whose_answer_was_lost_is_failed_by_the_retry_without_an_entry(
    container: Container, shop: Shop
) -> None:
    core = payment_core(container)
    core.processor.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    order = shop.order("pm_card_chargeDeclined")
    assert not (await core.payments.process(shop.buyer, order)).settled
    retry = await core.payments.process(shop.buyer, order)
    assert retry.record.status is PaymentStatus.FAILED
    assert retry.record.decline_code == "generic_decline"
    assert core.processor.charges_created == 1
    assert await rows(container, ledger_entries, tenant_id=shop.tenant) == 0
    assert await rows(container, nft_mint_queue, tenant_id=shop.tenant) == 0
    assert await rows(container, outbox, tenant_id=shop.tenant, event_type="payment.failed") == 1
    assert (await container.ledger.verify()).ok


async def test_a_payment_interrupted_before_the_commit_is_finished_by_another_process(
    container: Container, shop: Shop
) -> None:
    # Given a process that charged the buyer and died before recording it
    processor = SimulatedProvider()
    crashed = payment_core(container, processor)
    crashed.crashing.crash_before_next_commit()
    order = shop.order()
    assert await survive(crashed.payments.process(shop.buyer, order)) is None
    # (its two tickets are held for it, not sold: the confirmation rolled back too)
    assert await held_and_sold(container, shop) == (2, 0)
    # When the retry reaches another process (fresh account cache, same processor)
    survivor = payment_core(container, processor)
    retry = await survivor.payments.process(shop.buyer, order)
    # Then it finishes the same payment, once, and sells its two tickets once
    await assert_paid_once(container, survivor, retry.record)
    assert await held_and_sold(container, shop) == (0, 2)
    await survivor.payments.process(shop.buyer, order)
    assert await held_and_sold(container, shop) == (0, 2)


async def held_and_sold(container: Container, shop: Shop) -> tuple[int, int]:
    (ticket_type,) = [
        t
        for t in await container.ticket_types.of_event(shop.admin, shop.event)
        if t.id == shop.ticket_type
    ]
    return ticket_type.held, ticket_type.sold


# Refunds


async def paid(core: PaymentCore, shop: Shop) -> PaymentRecord:
    outcome = await core.payments.process(shop.buyer, shop.order())
    assert outcome.record.status is PaymentStatus.COMPLETED
    return outcome.record


async def refund_rows(
    container: Container, record: PaymentRecord, **where: object
) -> tuple[int, int, int]:
    """(refund rows, refund.completed entries, refund.completed outbox rows) of ``record``."""
    tenant = record.tenant_id
    async with container.infrastructure.engine.connect() as connection:
        refund_ids = (
            (
                await connection.execute(
                    sa.select(payment_refunds.c.id).where(
                        payment_refunds.c.tenant_id == tenant,
                        payment_refunds.c.transaction_id == record.id,
                        *(payment_refunds.c[column] == value for column, value in where.items()),
                    )
                )
            )
            .scalars()
            .all()
        )
        entries = (
            await connection.execute(
                sa.select(sa.func.count()).where(
                    ledger_entries.c.tenant_id == tenant,
                    ledger_entries.c.kind == REFUND_COMPLETED_KIND,
                    ledger_entries.c.reference_id.in_(refund_ids),
                )
            )
        ).scalar_one()
        events = (
            await connection.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.tenant_id == tenant,
                    outbox.c.event_type == "refund.completed",
                    outbox.c.aggregate_id.in_(refund_ids),
                )
            )
        ).scalar_one()
    return len(refund_ids), int(entries), int(events)


async def assert_refunded_once(
    container: Container, core: PaymentCore, payment: PaymentRecord, refund: RefundRecord
) -> None:
    assert refund.status is RefundStatus.COMPLETED
    assert core.processor.refunds_created == 1
    assert refund.provider_refund_id is not None
    at_processor = await core.processor.retrieve_refund(refund.provider_refund_id)
    assert at_processor.amount == refund.amount
    assert await refund_rows(container, payment) == (1, 1, 1)
    settled = await core.store.get(payment.tenant_id, payment.id)
    assert settled is not None
    assert settled.refunded == refund.amount
    assert settled.status is (
        PaymentStatus.REFUNDED
        if refund.amount == payment.total
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    assert (await container.ledger.verify()).ok


REFUND_FAULTS = [
    pytest.param(timeout(FaultPoint.TIMEOUT_BEFORE_REFUND), 0, id="before-the-refund"),
    pytest.param(timeout(FaultPoint.TIMEOUT_AFTER_REFUND), 1, id="after-the-refund"),
    pytest.param(crash_before_commit, 1, id="before-the-commit"),
]


@pytest.mark.parametrize(("fault", "refunded_before_the_retry"), REFUND_FAULTS)
@pytest.mark.parametrize("amount", [1234, None], ids=["partial", "full"])
async def test_a_fault_in_a_refund_is_settled_once_by_the_retry(
    container: Container,
    shop: Shop,
    fault: Fault,
    refunded_before_the_retry: int,
    amount: int | None,
) -> None:
    # Given a completed payment and a processor (or process) that fails during the refund
    core = payment_core(container)
    payment = await paid(core, shop)
    fault(core)
    key = uuid.uuid4()

    def refund() -> Awaitable[RefundRecord]:
        return core.refunds.refund(
            shop.admin, payment.id, amount_minor=amount, reason="cancelled", idempotency_key=key
        )

    # When the admin refunds, the refund is left processing, its amount held, nothing posted
    first = await survive(refund())
    if first is not None:
        assert first.status is RefundStatus.PROCESSING
    assert await refund_rows(container, payment, status="processing") == (1, 0, 0)
    held = await core.store.get(shop.tenant, payment.id)
    assert held is not None
    assert held.status is PaymentStatus.COMPLETED
    assert held.refunded == Money(amount or payment.total.minor, USD)
    assert core.processor.refunds_created == refunded_before_the_retry
    # When the admin retries with the same key, then once more
    retry = await refund()
    again = await refund()
    # Then one refund at the processor, one reversal entry, one event
    assert again == retry
    await assert_refunded_once(container, core, payment, retry)


async def test_concurrent_retries_after_a_lost_refund_answer_post_one_reversal(
    container: Container, shop: Shop
) -> None:
    core = payment_core(container)
    payment = await paid(core, shop)
    core.processor.fail_next(FaultPoint.TIMEOUT_AFTER_REFUND)
    key = uuid.uuid4()

    def refund() -> Awaitable[RefundRecord]:
        return core.refunds.refund(
            shop.admin, payment.id, amount_minor=2500, reason="cancelled", idempotency_key=key
        )

    assert (await refund()).status is RefundStatus.PROCESSING
    retries = await asyncio.gather(*(refund() for _ in range(8)))
    assert {retry.status for retry in retries} == {RefundStatus.COMPLETED}
    await assert_refunded_once(container, core, payment, retries[0])


async def test_a_payment_captured_before_a_restart_is_refunded_after_it(
    container: Container, shop: Shop
) -> None:
    # A process that never posted to this tenant's accounts (a restart, another worker)
    # must still post the reversal (it raised KeyError after the processor had refunded).
    processor = SimulatedProvider()
    payment = await paid(payment_core(container, processor), shop)
    restarted = payment_core(container, processor)
    refund = await restarted.refunds.refund(
        shop.admin, payment.id, amount_minor=None, reason="cancelled", idempotency_key=uuid.uuid4()
    )
    await assert_refunded_once(container, restarted, payment, refund)


async def test_a_refund_whose_answer_was_lost_is_finished_by_another_process(
    container: Container, shop: Shop
) -> None:
    # Given a refund the processor made but whose answer was lost
    processor = SimulatedProvider()
    first = payment_core(container, processor)
    payment = await paid(first, shop)
    processor.fail_next(FaultPoint.TIMEOUT_AFTER_REFUND)
    key = uuid.uuid4()
    refund = await first.refunds.refund(
        shop.admin, payment.id, amount_minor=None, reason="cancelled", idempotency_key=key
    )
    assert refund.status is RefundStatus.PROCESSING
    # When the retry reaches another process (after a restart, say)
    other = payment_core(container, processor)
    retry = await other.refunds.refund(
        shop.admin, payment.id, amount_minor=None, reason="cancelled", idempotency_key=key
    )
    # Then it finishes the refund, once
    await assert_refunded_once(container, other, payment, retry)
