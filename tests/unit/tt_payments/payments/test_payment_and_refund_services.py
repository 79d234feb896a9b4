"""PaymentService and RefundService against in-memory ports: what a payment and a refund
write, in which transaction, and that a step that fails writes nothing.

The same services run against PostgreSQL in tests/integration/test_payment_faults.py,
test_payment_state_machine_stateful.py and tests/e2e/test_process_payment_http.py
(concurrency, crashes before COMMIT, the HTTP contract).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import attrs
import pytest

from tests.unit.tt_payments.fakes import (
    FakeCatalog,
    FakeLedgerAccounts,
    FakePaymentStore,
    FakePaymentsTransaction,
    FakeSalesVolume,
    FakeTicketCatalog,
    FakeUnitOfWork,
    PaymentsState,
    RecordingMetrics,
)
from tt_chain import Blockchain, CongestionLevel, GasChargePolicy, GasQuote, StaticGasEstimator
from tt_high_demand import PurchaseLimitExceededError
from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    REFUND_COMPLETED_KIND,
    PaymentStatus,
    RefundExceedsCaptureError,
    RefundStatus,
)
from tt_money import USD, FeeSchedule, Money
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import Event, Venue
from tt_payments.idempotency import IdempotencyKeyReusedError, IdempotencyScope, StoredAnswer
from tt_payments.payments import PaymentNotRefundableError, PaymentRequest, TicketLine
from tt_payments.payments.fees import FeeCalculator
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import AnswerInTransaction, PaymentOutcome, PaymentService
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_payments.tax.service import TaxRecords
from tt_payments.tickets.records import (
    PriceChangedError,
    SeatTakenError,
    SoldOutError,
    TicketType,
    TicketTypeNotFoundError,
)
from tt_tax import Address, BundledRates, TaxCalculator

NOW = dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)
GENERAL_ADMISSION = uuid.uuid4()
BALCONY = uuid.uuid4()
"""Three seats only."""
OTHER_CARD = "4242424242424242"
TENANT = uuid.uuid4()
BUYER = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.USER)
ADMIN = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.ADMIN)
VENUE = Venue(
    tenant_id=TENANT,
    id=uuid.uuid4(),
    name="Ryman Auditorium",
    address=Address(street="116 5th Ave N", city="Nashville", state="TN", zip="37219"),
    time_zone="America/Chicago",
)
EVENT = Event(
    tenant_id=TENANT,
    id=uuid.uuid4(),
    venue_id=VENUE.id,
    name="Show",
    starts_at=dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC),
)
GAS = [
    GasQuote(
        blockchain=Blockchain.SOLANA,
        estimated_fee=Decimal("0.002"),
        fee_usd=Decimal("0.05"),
        congestion=CongestionLevel.LOW,
    ),
    GasQuote(
        blockchain=Blockchain.POLYGON,
        estimated_fee=Decimal("0.01"),
        fee_usd=Decimal("0.005"),
        congestion=CongestionLevel.MEDIUM,
    ),
]


@attrs.define
class Shop:
    payments: PaymentService
    refunds: RefundService
    uow: FakeUnitOfWork[PaymentsState, FakePaymentsTransaction]
    provider: SimulatedProvider
    metrics: RecordingMetrics
    tickets: FakeTicketCatalog

    def left(self, ticket_type: uuid.UUID = GENERAL_ADMISSION) -> TicketType:
        return self.tickets.of(TENANT, ticket_type)

    @property
    def state(self) -> PaymentsState:
        return self.uow.state

    def event_types(self) -> list[str]:
        return [str(event["type"]) for event in self.state.books.events]

    def entry_kinds(self) -> list[str]:
        return [entry.kind for entry in self.state.books.entries]


@pytest.fixture
def shop() -> Shop:
    state = PaymentsState()
    uow = FakeUnitOfWork(state, FakePaymentsTransaction.bind)
    store = FakePaymentStore(state)
    accounts = FakeLedgerAccounts(state.books)
    catalog = FakeCatalog(VENUE)
    catalog._events[(TENANT, EVENT.id)] = EVENT
    provider = SimulatedProvider()
    metrics = RecordingMetrics()
    tickets = FakeTicketCatalog(state.tickets)
    tickets.put(
        TicketType(
            tenant_id=TENANT,
            id=GENERAL_ADMISSION,
            event_id=EVENT.id,
            name="General admission",
            price=Money(5000, USD),
            capacity=10,
        )
    )
    tickets.put(
        TicketType(
            tenant_id=TENANT,
            id=BALCONY,
            event_id=EVENT.id,
            name="Balcony",
            price=Money(9000, USD),
            capacity=3,
        )
    )
    fees = FeeCalculator(
        catalog=catalog,
        sales_volume=FakeSalesVolume(),
        schedule=FeeSchedule.default(),
        tax=TaxCalculator(BundledRates.load()),
        gas=StaticGasEstimator(GAS),
        gas_charge=GasChargePolicy(Money(50, USD)),
        tickets=tickets,
    )
    payments = PaymentService(
        payments=store,
        uow=uow,
        accounts=accounts,
        catalog=catalog,
        fees=fees,
        provider=provider,
        metrics=metrics,
        tickets=tickets,
        tax_records=TaxRecords(),
        clock=lambda: NOW,
    )
    refunds = RefundService(
        payments=store,
        uow=uow,
        accounts=accounts,
        lookup=payments,
        provider=provider,
        metrics=metrics,
        tax_records=TaxRecords(),
        clock=lambda: NOW,
    )
    return Shop(
        payments=payments,
        refunds=refunds,
        uow=uow,
        provider=provider,
        metrics=metrics,
        tickets=tickets,
    )


def order(
    card: str = "pm_card_visa",
    *,
    tickets: int = 2,
    key: uuid.UUID | None = None,
    price: int = 5000,
    ticket_type: uuid.UUID = GENERAL_ADMISSION,
    seats: tuple[str, ...] = (),
) -> PaymentRequest:
    return PaymentRequest(
        tenant_id=TENANT,
        user_id=BUYER.user_id,
        venue_id=VENUE.id,
        event_id=EVENT.id,
        idempotency_key=key or uuid.uuid4(),
        tickets=(
            TicketLine(
                ticket_type_id=ticket_type,
                quantity=tickets,
                price=Money(price, USD),
                seat_numbers=seats,
            ),
        ),
        payment_method_id=card,
    )


def balanced(shop: Shop) -> bool:
    totals: dict[str, int] = {}
    for entry in shop.state.books.entries:
        for posting in entry.postings:
            code = posting.amount.currency.code
            totals[code] = totals.get(code, 0) + posting.amount.minor
    return all(total == 0 for total in totals.values())


async def test_a_paid_order_is_captured_once_with_its_entry_mint_job_event_and_tax(
    shop: Shop,
) -> None:
    outcome = await shop.payments.process(BUYER, order())
    record = outcome.record
    assert record.status is PaymentStatus.COMPLETED
    assert record.total > Money(10000, USD)  # tickets, fees and Tennessee's tax
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND]
    assert balanced(shop)
    assert shop.event_types() == ["payment.completed"]
    assert record.mint_job_id == shop.state.mint_jobs[(TENANT, record.id)]
    assert len(shop.state.intents) == 1
    assert (TENANT, record.id) in shop.state.tax_collections
    assert shop.metrics.finished == [("completed", "card", record.total)]
    assert shop.metrics.in_flight_now == 0
    assert (shop.left().held, shop.left().sold) == (0, 2)


async def test_a_declined_card_fails_the_payment_and_moves_no_money(shop: Shop) -> None:
    outcome = await shop.payments.process(BUYER, order("pm_card_chargeDeclined"))
    assert outcome.record.status is PaymentStatus.FAILED
    assert outcome.record.decline_code == "generic_decline"
    assert shop.state.books.entries == []
    assert shop.event_types() == ["payment.failed"]
    assert shop.state.mint_jobs == {}
    assert (shop.left().held, shop.left().sold) == (0, 0)  # back on sale


async def test_a_retry_under_the_same_key_is_the_same_payment_charged_once(shop: Shop) -> None:
    key = uuid.uuid4()
    first = await shop.payments.process(BUYER, order(key=key))
    again = await shop.payments.process(BUYER, order(key=key))
    assert again.record.id == first.record.id
    assert shop.provider.charges_created == 1
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND]


async def test_a_key_reused_for_another_order_is_refused(shop: Shop) -> None:
    key = uuid.uuid4()
    await shop.payments.process(BUYER, order(key=key))
    with pytest.raises(IdempotencyKeyReusedError):
        await shop.payments.process(BUYER, order(key=key, tickets=1))


async def test_a_processor_that_does_not_answer_leaves_the_payment_processing_until_a_retry(
    shop: Shop,
) -> None:
    key = uuid.uuid4()
    shop.provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    unknown = await shop.payments.process(BUYER, order(key=key))
    assert unknown.record.status is PaymentStatus.PROCESSING
    assert not unknown.settled
    assert shop.state.books.entries == []
    settled = await shop.payments.process(BUYER, order(key=key))
    assert settled.record.status is PaymentStatus.COMPLETED
    assert shop.provider.charges_created == 1
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND]


async def test_an_order_over_the_purchase_limit_is_refused_before_anything_is_recorded(
    shop: Shop,
) -> None:
    await shop.payments.process(BUYER, order(tickets=3))
    with pytest.raises(PurchaseLimitExceededError):
        await shop.payments.process(BUYER, order(tickets=2))  # 5 > 4 per buyer
    assert len(shop.state.payments) == 1
    assert shop.provider.charges_created == 1


async def test_a_settlement_that_fails_midway_leaves_the_payment_processing_and_nothing_else(
    shop: Shop,
) -> None:
    # Given a ledger that refuses the capture entry (its accounts were never created)
    broken = attrs.evolve(shop.payments, accounts=FakeLedgerAccounts(type(shop.state.books)()))
    key = uuid.uuid4()
    with pytest.raises(AssertionError, match="never ensured"):
        await broken.process(BUYER, order(key=key))
    # Then the charge happened, but the settling transaction left nothing behind
    (record,) = shop.state.payments.values()
    assert record.status is PaymentStatus.PROCESSING
    assert shop.state.books.entries == []
    assert shop.state.books.events == []
    assert shop.state.mint_jobs == {}
    assert shop.state.intents == []
    # And a retry on a working ledger settles that payment with that charge
    retried = await shop.payments.process(BUYER, order(key=key))
    assert retried.record.id == record.id
    assert retried.record.status is PaymentStatus.COMPLETED
    assert shop.provider.charges_created == 1


async def test_the_callers_answer_is_stored_with_the_settlement_and_a_pending_one_is_not(
    shop: Shop,
) -> None:
    scope = IdempotencyScope(
        tenant_id=TENANT,
        user_id=BUYER.user_id,
        key=uuid.uuid4(),
        operation="process_payment",
        request_hash="h",
    )

    def answer_for(outcome: PaymentOutcome) -> StoredAnswer | None:
        return StoredAnswer(status=200, body=str(outcome.record.id).encode())

    outcome = await shop.payments.process(
        BUYER, order(), answer=AnswerInTransaction(scope=scope, answer_for=answer_for)
    )
    assert outcome.answer == StoredAnswer(status=200, body=str(outcome.record.id).encode())
    assert shop.state.answers == {
        (TENANT, BUYER.user_id, scope.key): (200, str(outcome.record.id).encode())
    }
    # An answer the caller does not want kept (its 202) is not written.
    later = attrs.evolve(scope, key=uuid.uuid4())
    declined = await shop.payments.process(
        BUYER,
        order("pm_card_chargeDeclined"),
        answer=AnswerInTransaction(scope=later, answer_for=lambda _: None),
    )
    assert declined.answer is None
    assert len(shop.state.answers) == 1


async def test_a_full_refund_reverses_the_capture_and_the_tax_and_refunds_the_payment(
    shop: Shop,
) -> None:
    paid = (await shop.payments.process(BUYER, order())).record
    refund = await shop.refunds.refund(
        ADMIN, paid.id, amount_minor=None, reason="cancelled", idempotency_key=uuid.uuid4()
    )
    assert refund.status is RefundStatus.COMPLETED
    assert refund.amount == paid.total
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND, REFUND_COMPLETED_KIND]
    assert balanced(shop)
    assert shop.state.payments[(TENANT, paid.id)].status is PaymentStatus.REFUNDED
    assert shop.event_types() == ["payment.completed", "refund.completed"]
    assert (TENANT, refund.id) in shop.state.tax_reversals
    assert shop.metrics.refunds == ["completed"]


async def test_partial_refunds_add_up_to_the_capture_and_never_past_it(shop: Shop) -> None:
    paid = (await shop.payments.process(BUYER, order())).record
    half = paid.total.minor // 2
    await shop.refunds.refund(
        ADMIN, paid.id, amount_minor=half, reason="", idempotency_key=uuid.uuid4()
    )
    assert shop.state.payments[(TENANT, paid.id)].status is PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(RefundExceedsCaptureError):
        await shop.refunds.refund(
            ADMIN, paid.id, amount_minor=paid.total.minor, reason="", idempotency_key=uuid.uuid4()
        )
    rest = paid.total.minor - half
    await shop.refunds.refund(
        ADMIN, paid.id, amount_minor=rest, reason="", idempotency_key=uuid.uuid4()
    )
    assert shop.state.payments[(TENANT, paid.id)].status is PaymentStatus.REFUNDED
    assert shop.state.payments[(TENANT, paid.id)].refunded == paid.total
    assert balanced(shop)


async def test_a_refund_the_processor_did_not_answer_is_completed_once_by_its_retry(
    shop: Shop,
) -> None:
    paid = (await shop.payments.process(BUYER, order())).record
    key = uuid.uuid4()
    shop.provider.fail_next(FaultPoint.TIMEOUT_AFTER_REFUND)
    held = await shop.refunds.refund(
        ADMIN, paid.id, amount_minor=1000, reason="", idempotency_key=key
    )
    assert held.status is RefundStatus.PROCESSING
    assert shop.state.payments[(TENANT, paid.id)].refunded == Money(1000, USD)
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND]
    done = await shop.refunds.refund(
        ADMIN, paid.id, amount_minor=1000, reason="", idempotency_key=key
    )
    assert done.id == held.id
    assert done.status is RefundStatus.COMPLETED
    assert shop.provider.refunds_created == 1
    assert shop.entry_kinds() == [PAYMENT_CAPTURED_KIND, REFUND_COMPLETED_KIND]


async def test_a_failed_payment_cannot_be_refunded(shop: Shop) -> None:
    failed = (await shop.payments.process(BUYER, order("pm_card_chargeDeclined"))).record
    with pytest.raises(PaymentNotRefundableError):
        await shop.refunds.refund(
            ADMIN, failed.id, amount_minor=None, reason="", idempotency_key=uuid.uuid4()
        )
    assert shop.state.refunds == {}


async def test_the_price_charged_is_the_catalogs_and_another_is_refused_with_it(
    shop: Shop,
) -> None:
    with pytest.raises(PriceChangedError) as refused:
        await shop.payments.process(BUYER, order(price=1))
    assert refused.value.code == "PRICE_CHANGED"
    assert refused.value.current_prices == ((GENERAL_ADMISSION, Money(5000, USD)),)
    assert refused.value.details == (("tickets[0].price", "is now 5000"),)
    assert shop.state.payments == {}
    assert shop.provider.charges_created == 0
    assert shop.left().held == 0


async def test_an_unknown_ticket_type_and_more_than_is_left_are_refused_before_a_charge(
    shop: Shop,
) -> None:
    with pytest.raises(TicketTypeNotFoundError):
        await shop.payments.process(BUYER, order(ticket_type=uuid.uuid4()))
    await shop.payments.process(BUYER, order(tickets=2, ticket_type=BALCONY, price=9000))
    another = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.USER)
    with pytest.raises(SoldOutError):
        await shop.payments.process(
            another, order(OTHER_CARD, tickets=2, ticket_type=BALCONY, price=9000)
        )
    assert len(shop.state.payments) == 1
    assert (shop.left(BALCONY).held, shop.left(BALCONY).sold) == (0, 2)


async def test_a_seat_held_for_one_buyer_is_refused_to_another(shop: Shop) -> None:
    shop.provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    first = await shop.payments.process(BUYER, order(tickets=1, seats=("A1",)))
    assert first.record.status is PaymentStatus.PROCESSING  # still holding A1
    another = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.USER)
    with pytest.raises(SeatTakenError):
        await shop.payments.process(another, order(tickets=1, seats=("A1",)))
    assert len(shop.state.payments) == 1
    assert (shop.left().held, shop.left().sold) == (1, 0)


async def test_a_crash_while_settling_rolls_the_confirmation_back_with_the_payment(
    shop: Shop,
) -> None:
    broken = attrs.evolve(shop.payments, accounts=FakeLedgerAccounts(type(shop.state.books)()))
    key = uuid.uuid4()
    with pytest.raises(AssertionError, match="never ensured"):
        await broken.process(BUYER, order(key=key))
    assert (shop.left().held, shop.left().sold) == (2, 0)  # held, not sold
    await shop.payments.process(BUYER, order(key=key))
    assert (shop.left().held, shop.left().sold) == (0, 2)


async def test_a_payment_settled_after_its_hold_expired_gets_its_tickets_when_free(
    shop: Shop,
) -> None:
    key = uuid.uuid4()
    shop.provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    await shop.payments.process(BUYER, order(key=key))
    assert await shop.tickets.release_expired(NOW + dt.timedelta(hours=1)) == 1
    assert shop.left().held == 0
    settled = await shop.payments.process(BUYER, order(key=key))
    assert settled.record.status is PaymentStatus.COMPLETED
    assert (shop.left().held, shop.left().sold) == (0, 2)
    assert "payment.tickets_unavailable" not in shop.event_types()


async def test_a_payment_whose_expired_tickets_were_sold_meanwhile_is_flagged(
    shop: Shop,
) -> None:
    key = uuid.uuid4()
    late = order(key=key, tickets=2, ticket_type=BALCONY, price=9000)
    shop.provider.fail_next(FaultPoint.TIMEOUT_AFTER_CHARGE)
    await shop.payments.process(BUYER, late)
    await shop.tickets.release_expired(NOW + dt.timedelta(hours=1))
    another = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.USER)
    await shop.payments.process(
        another, order(OTHER_CARD, tickets=2, ticket_type=BALCONY, price=9000)
    )  # two of the three sold to someone else meanwhile
    settled = await shop.payments.process(BUYER, late)
    assert settled.record.status is PaymentStatus.COMPLETED  # the money was taken
    assert (shop.left(BALCONY).held, shop.left(BALCONY).sold) == (0, 2)  # never oversold
    assert shop.event_types().count("payment.tickets_unavailable") == 1


async def test_a_full_refund_puts_the_tickets_back_on_sale_and_a_partial_one_does_not(
    shop: Shop,
) -> None:
    paid = await shop.payments.process(BUYER, order())
    await shop.refunds.refund(
        ADMIN, paid.record.id, amount_minor=1000, reason="late", idempotency_key=uuid.uuid4()
    )
    assert shop.left().sold == 2
    await shop.refunds.refund(
        ADMIN, paid.record.id, amount_minor=None, reason="cancelled", idempotency_key=uuid.uuid4()
    )
    assert (shop.left().held, shop.left().sold) == (0, 0)
