"""Any sequence of payments, refunds, processor timeouts and retries keeps the ledger true.

A hypothesis state machine drives the real service layer (``PaymentService.process``,
``RefundService.refund``) against real PostgreSQL, with a ``SimulatedProvider`` of its own,
and keeps a model of what the buyer was charged and refunded. Its steps:

- pay: one to three ticket lines at random prices, at one of two venues (Nashville, with
  three tax lines; Portland, with none), with a good or a declining card;
- pay through a timeout: the processor times out before or after charging; the payment
  stays ``processing`` until it is paid again;
- pay again: the same request and idempotency key, alone or as concurrent twins (a replay
  of a settled payment, or the retry of an unsettled one);
- refund: all that is left, or a random share of the total (one cent up to 120 %: too
  large ones are refused), of any payment, refundable or not;
- refund through a timeout, and refund again (replay or retry, with concurrent twins);
- restart: a new process (empty account cache) carries on, with the same processor.

After EVERY step, for this machine's tenant:

- what ``SqlLedger.verify()`` checks: every entry has two or more postings and balances,
  every stored balance is the sum of its postings (``verify()`` itself, which reads every
  tenant, runs once at the end of the test);
- each payment's status and reserved refund total are the model's, refunded <= captured;
- a payment has one ``payment.captured`` entry once it is paid (none before, none if
  declined) and one ``refund.completed`` entry per completed refund;
- the ledger identity. A capture of total T with processing cost c posts Dr clearing
  T - c, Dr processing cost c, Cr venue pending, revenue, each tax and the chain fee
  reserve (together T); a refund r posts Cr clearing r and Dr the credit lines (together r)
  and leaves the cost alone. So with R the completed refunds of each captured payment:
  clearing + cost = sum(T - R), cost = sum(c), and the credit accounts sum to -sum(T - R);
  per payment each credit line stays between what the capture put there and zero, and is
  zero once the payment is fully refunded; each venue's pending balance is what is left
  of its lines, and its available balance stays zero (nothing is paid out here);
- one outbox row per completed or failed payment and per completed refund, one mint job
  per completed payment, one intent per settled payment;
- the processor created exactly the charges and refunds the model expects: no retry,
  replay or twin ever charges or refunds twice.

At the end of each example every unsettled payment and refund is retried, and the
invariants are checked once more: no charge is left without its ledger entry.

Each example is a fresh tenant, so examples never see each other's rows. CI runs 200
examples of up to 10 steps (``TT_STATEFUL_EXAMPLES``, default 200: about 30 s); the long
run is

    TT_STATEFUL_EXAMPLES=10000 ./dev test tests/integration/test_payment_state_machine_stateful.py

Hypothesis rules are synchronous, so the machine runs the async use cases on a private event
loop with a container of its own (``bootstrap(settings)`` on the test database).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import sys
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from fractions import Fraction
from typing import Any, TypeVar

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from tt_high_demand import PurchaseLimits
from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    PAYMENT_REFUND_REFERENCE,
    PLATFORM_OWNER,
    REFUND_COMPLETED_KIND,
    AccountKind,
    PaymentStatus,
    RefundExceedsCaptureError,
    RefundStatus,
    Side,
)
from tt_money import USD, Money
from tt_payments import Container, Settings, bootstrap
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog import Event, Venue
from tt_payments.catalog import service as catalog_use_cases
from tt_payments.db.tables.ledger import ledger_accounts, ledger_entries, ledger_postings
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.payments import (
    nft_mint_queue,
    payment_intents,
    payment_refunds,
    payment_transactions,
)
from tt_payments.db.unit_of_work import SqlUnitOfWork
from tt_payments.high_demand.service import HighDemandChange
from tt_payments.ledger.sql import SqlLedger
from tt_payments.payments import (
    PaymentNotRefundableError,
    PaymentRequest,
    RefundRecord,
    TicketLine,
)
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentOutcome
from tt_payments.payments.sql import SqlPayments, payments_transaction
from tt_payments.providers.simulated import FaultPoint, SimulatedProvider
from tt_tax import Address

T = TypeVar("T")

EXAMPLES = int(os.environ.get("TT_STATEFUL_EXAMPLES", "200"))

GOOD_CARDS = ("pm_card_visa", "4242424242424242")
DECLINING_CARDS = ("pm_card_chargeDeclined", "4000000000009995")

VENUE_ADDRESSES = (
    (Address(street="116 5th Ave N", city="Nashville", state="TN", zip="37219"), "America/Chicago"),
    (
        Address(street="1037 SW Broadway", city="Portland", state="OR", zip="97205"),
        "America/Los_Angeles",
    ),
)


@attrs.frozen
class World:
    """A private event loop and a container on the test database, for sync rules."""

    loop: asyncio.AbstractEventLoop
    container: Container

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)


@pytest.fixture(scope="module")
def world(settings: Settings) -> Iterator[World]:
    loop = asyncio.new_event_loop()
    # The state machine of payments and refunds, without the fraud checks: two buyers
    # making dozens of payments an hour would trip the velocity limits, which have tests
    # of their own (tests/integration/test_fraud_velocity_redis.py, tests/e2e).
    container = bootstrap(attrs.evolve(settings, pre_payment_checks=False))
    yield World(loop, container)
    loop.run_until_complete(container.aclose())
    loop.close()


@attrs.define
class RefundModel:
    key: uuid.UUID
    amount: int
    reached_processor: bool
    completed: bool


@attrs.define
class PaymentModel:
    request: PaymentRequest
    buyer: Principal
    good_card: bool
    id: uuid.UUID
    total: int
    charged: bool
    """The processor created the charge (declined ones too)."""
    settled: bool
    refunds: list[RefundModel] = attrs.field(factory=list)

    @property
    def captured(self) -> bool:
        return self.settled and self.good_card

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds if refund.completed)

    @property
    def reserved(self) -> int:
        """Refunded or being refunded: what ``refunded_amount`` holds."""
        return sum(refund.amount for refund in self.refunds)

    @property
    def status(self) -> PaymentStatus:
        if not self.settled:
            return PaymentStatus.PROCESSING
        if not self.good_card:
            return PaymentStatus.FAILED
        if self.refunded == 0:
            return PaymentStatus.COMPLETED
        if self.refunded < self.total:
            return PaymentStatus.PARTIALLY_REFUNDED
        return PaymentStatus.REFUNDED


@attrs.frozen
class RefundHandle:
    payment: PaymentModel
    refund: RefundModel


ORDERS = st.fixed_dictionaries(
    {
        "lines": st.lists(
            st.tuples(st.integers(1, 10), st.integers(1, 100_000)), min_size=1, max_size=3
        ),
        "card": st.sampled_from(GOOD_CARDS + DECLINING_CARDS),
        "venue": st.integers(0, len(VENUE_ADDRESSES) - 1),
        "buyer": st.integers(0, 1),
    }
)
REFUND_SIZES = st.none() | st.fractions(min_value=0, max_value=Fraction(6, 5))
"""None: all that is left; otherwise this share of the total (at least one cent)."""
COPIES = st.integers(1, 2)

Account = tuple[str, str]
"""(account kind, owner): one account of the tenant (all in USD here)."""
CLEARING: Account = (AccountKind.PROCESSOR_CLEARING.value, PLATFORM_OWNER)
COST: Account = (AccountKind.PLATFORM_PROCESSING_COST.value, PLATFORM_OWNER)
VENUE = "venue"
DEBIT_KINDS = frozenset(kind.value for kind in AccountKind if kind.normal_side is Side.DEBIT)


class PaymentLedgerMachine(RuleBasedStateMachine):
    payments = Bundle("payments")
    refunds = Bundle("refunds")

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.tenant = uuid.uuid4()
        self.processor = SimulatedProvider()
        self.restart()
        self.admin = Principal(user_id=uuid.uuid4(), tenant_id=self.tenant, role=Role.ADMIN)
        self.buyers = [
            Principal(user_id=uuid.uuid4(), tenant_id=self.tenant, role=Role.USER) for _ in range(2)
        ]
        self.venues = [self.world.run(self._open_venue(*place)) for place in VENUE_ADDRESSES]
        self.model: list[PaymentModel] = []

    async def _open_venue(self, address: Address, zone: str) -> tuple[uuid.UUID, uuid.UUID]:
        container = self.world.container
        venue = Venue(
            tenant_id=self.tenant, id=uuid.uuid4(), name="Venue", address=address, time_zone=zone
        )
        event = Event(
            tenant_id=self.tenant,
            id=uuid.uuid4(),
            venue_id=venue.id,
            name="Show",
            starts_at=dt.datetime(2026, 12, 31, 20, tzinfo=dt.UTC),
        )
        await catalog_use_cases.put_venue(container.catalog, container.tax, self.admin, venue)
        await catalog_use_cases.put_event(container.catalog, self.admin, event)
        # Orders of up to 30 tickets, dozens per buyer: the purchase limits (4 a buyer by
        # default) are lifted; they have tests of their own.
        unlimited = 1_000_000
        await container.high_demand.configure(
            self.admin,
            event.id,
            HighDemandChange(
                enabled=False,
                on_sale_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                active_slots=1,
                limits=PurchaseLimits(
                    per_user=unlimited,
                    per_payment_method=unlimited,
                    per_address=unlimited,
                    per_order=unlimited,
                ),
            ),
        )
        return venue.id, event.id

    async def _ticket_type(self, event: uuid.UUID, cents: int) -> uuid.UUID:
        """A ticket type of the event at this price (the catalog prices every payment)."""
        stored, _ = await self.world.container.ticket_types.put(
            self.admin,
            event_id=event,
            ticket_type_id=uuid.uuid5(event, str(cents)),
            name=f"{cents} cents",
            price=Money(cents, USD),
            capacity=1_000_000,
        )
        return stored.id

    @rule()
    def restart(self) -> None:
        """A new process takes over: same database and processor, empty caches."""
        engine = self.world.container.infrastructure.engine
        ledger = SqlLedger(engine)
        self.service = attrs.evolve(
            self.world.container.payments,
            payments=SqlPayments(engine),
            uow=SqlUnitOfWork(engine, payments_transaction(ledger)),
            accounts=ledger,
            provider=self.processor,
        )
        self.refunder = RefundService(
            payments=self.service.payments,
            uow=self.service.uow,
            accounts=ledger,
            lookup=self.service,
            provider=self.processor,
            metrics=self.service.metrics,
        )

    # Paying

    def _request(self, order: dict[str, Any]) -> tuple[Principal, PaymentRequest]:
        buyer = self.buyers[order["buyer"]]
        venue, event = self.venues[order["venue"]]
        request = PaymentRequest(
            tenant_id=self.tenant,
            user_id=buyer.user_id,
            venue_id=venue,
            event_id=event,
            idempotency_key=uuid.uuid4(),
            tickets=tuple(
                TicketLine(
                    ticket_type_id=self.world.run(self._ticket_type(event, cents)),
                    quantity=quantity,
                    price=Money(cents, USD),
                )
                for quantity, cents in order["lines"]
            ),
            payment_method_id=order["card"],
        )
        return buyer, request

    def _first_attempt(
        self, order: dict[str, Any], *, charged: bool, settled: bool
    ) -> PaymentModel:
        buyer, request = self._request(order)
        outcome = self.world.run(self.service.process(buyer, request))
        assert outcome.fees["ticketPrice"] == request.subtotal.minor
        assert outcome.fees["total"] == outcome.record.total.minor
        payment = PaymentModel(
            request=request,
            buyer=buyer,
            good_card=order["card"] in GOOD_CARDS,
            id=outcome.record.id,
            total=outcome.record.total.minor,
            charged=charged,
            settled=settled,
        )
        assert outcome.record.status is payment.status
        self.model.append(payment)
        return payment

    @rule(target=payments, order=ORDERS)
    def pay(self, order: dict[str, Any]) -> PaymentModel:
        return self._first_attempt(order, charged=True, settled=True)

    @rule(
        target=payments,
        order=ORDERS,
        fault=st.sampled_from([FaultPoint.TIMEOUT_BEFORE_CHARGE, FaultPoint.TIMEOUT_AFTER_CHARGE]),
    )
    def pay_through_a_timeout(self, order: dict[str, Any], fault: FaultPoint) -> PaymentModel:
        self.processor.fail_next(fault)
        return self._first_attempt(
            order, charged=fault is FaultPoint.TIMEOUT_AFTER_CHARGE, settled=False
        )

    @rule(payment=payments, copies=COPIES)
    def pay_again(self, payment: PaymentModel, copies: int) -> None:
        outcomes = self.world.run(self._pay_again(payment, copies))
        payment.charged = payment.settled = True
        for outcome in outcomes:
            assert outcome.record.id == payment.id
            assert outcome.record.status is payment.status

    async def _pay_again(self, payment: PaymentModel, copies: int) -> list[PaymentOutcome]:
        return await asyncio.gather(
            *(self.service.process(payment.buyer, payment.request) for _ in range(copies))
        )

    # Refunding

    def _refund_amount(self, payment: PaymentModel, size: Fraction | None) -> int:
        if size is None:
            return payment.total - payment.reserved
        return max(1, math.floor(payment.total * size))

    def _refused_with(
        self, payment: PaymentModel, amount: int
    ) -> type[PaymentNotRefundableError | RefundExceedsCaptureError] | None:
        if payment.status not in (PaymentStatus.COMPLETED, PaymentStatus.PARTIALLY_REFUNDED):
            return PaymentNotRefundableError
        if not 0 < amount <= payment.total - payment.reserved:
            return RefundExceedsCaptureError
        return None

    def _refund(
        self, payment: PaymentModel, size: Fraction | None, fault: FaultPoint | None
    ) -> Any:
        amount = self._refund_amount(payment, size)
        refused = self._refused_with(payment, amount)
        key = uuid.uuid4()
        call = self.refunder.refund(
            self.admin,
            payment.id,
            amount_minor=None if size is None else amount,
            reason="requested_by_customer",
            idempotency_key=key,
        )
        if refused is not None:
            with pytest.raises(refused):
                self.world.run(call)
            return multiple()
        if fault is not None:
            self.processor.fail_next(fault)
        record = self.world.run(call)
        refund = RefundModel(
            key=key,
            amount=amount,
            reached_processor=fault is not FaultPoint.TIMEOUT_BEFORE_REFUND,
            completed=fault is None,
        )
        assert record.amount.minor == amount
        assert record.status is (
            RefundStatus.COMPLETED if refund.completed else RefundStatus.PROCESSING
        )
        payment.refunds.append(refund)
        return RefundHandle(payment, refund)

    @rule(target=refunds, payment=payments, size=REFUND_SIZES)
    def refund(self, payment: PaymentModel, size: Fraction | None) -> Any:
        return self._refund(payment, size, fault=None)

    @rule(
        target=refunds,
        payment=payments,
        size=REFUND_SIZES,
        fault=st.sampled_from([FaultPoint.TIMEOUT_BEFORE_REFUND, FaultPoint.TIMEOUT_AFTER_REFUND]),
    )
    def refund_through_a_timeout(
        self, payment: PaymentModel, size: Fraction | None, fault: FaultPoint
    ) -> Any:
        return self._refund(payment, size, fault)

    @rule(handle=refunds, copies=COPIES)
    def refund_again(self, handle: RefundHandle, copies: int) -> None:
        records = self.world.run(self._refund_again(handle, copies))
        handle.refund.reached_processor = handle.refund.completed = True
        for record in records:
            assert record.status is RefundStatus.COMPLETED
            assert record.amount.minor == handle.refund.amount

    async def _refund_again(self, handle: RefundHandle, copies: int) -> list[RefundRecord]:
        return await asyncio.gather(
            *(
                self.refunder.refund(
                    self.admin,
                    handle.payment.id,
                    amount_minor=handle.refund.amount,
                    reason="requested_by_customer",
                    idempotency_key=handle.refund.key,
                )
                for _ in range(copies)
            )
        )

    # What must hold

    @invariant()
    def the_ledger_matches_the_model(self) -> None:
        self.world.run(self._check())

    def teardown(self) -> None:
        if sys.exc_info()[0] is not None:
            return  # a step failed: recovering would only bury its report
        # Recovery: every unsettled payment and refund is retried; then nothing may be
        # left charged without its entry.
        for payment in self.model:
            if not payment.settled:
                self.pay_again(payment, 1)
            for refund in payment.refunds:
                if not refund.completed:
                    self.refund_again(RefundHandle(payment, refund), 1)
        self.world.run(self._check())

    async def _check(self) -> None:
        assert self.processor.charges_created == sum(p.charged for p in self.model)
        assert self.processor.refunds_created == sum(
            r.reached_processor for p in self.model for r in p.refunds
        )
        async with self.world.container.infrastructure.engine.connect() as connection:
            stored = await _payments(connection, self.tenant)
            postings = await _postings(connection, self.tenant)
            stored_balances = await _stored_balances(connection, self.tenant)
            counts = await _counts(connection, self.tenant)

        # What SqlLedger.verify checks, for this tenant only: verify() reads every tenant's
        # ledger, which grows with every example, and once an example has broken it every
        # later example would fail too and shrinking would blame the wrong one. The test
        # runs verify() itself once, at the end.
        by_entry: dict[uuid.UUID, list[Any]] = {}
        by_account: Counter[uuid.UUID] = Counter()
        for posting in postings:
            assert posting.currency == USD.code, "the tenant sells in dollars only"
            by_entry.setdefault(posting.entry_id, []).append(posting)
            by_account[posting.account_id] += posting.amount
        for entry_id, legs in by_entry.items():
            assert len(legs) >= 2, f"entry {entry_id} has one posting"
            assert sum(leg.amount for leg in legs) == 0, f"entry {entry_id} does not balance"
        for account_id, balance in stored_balances.items():
            assert balance == by_account[account_id], f"account {account_id} drifted"

        entries = Counter((legs[0].payment_id, legs[0].entry_kind) for legs in by_entry.values())
        posted: dict[tuple[uuid.UUID, str], Counter[Account]] = {}
        balances: Counter[Account] = Counter()
        for posting in postings:
            account = (posting.account_kind, posting.owner)
            posted.setdefault((posting.payment_id, posting.entry_kind), Counter())[account] += (
                posting.amount
            )
            balances[account] += posting.amount

        assert set(stored) == {p.id for p in self.model}, "one payment row per request"
        venues_owed: Counter[str] = Counter()
        for payment in self.model:
            status, total, reserved, processing_cost = stored[payment.id]
            assert (status, total, reserved) == (payment.status, payment.total, payment.reserved)
            assert payment.refunded <= payment.reserved <= payment.total
            assert entries[payment.id, PAYMENT_CAPTURED_KIND] == int(payment.captured)
            assert entries[payment.id, REFUND_COMPLETED_KIND] == sum(
                r.completed for r in payment.refunds
            )
            captured = _lines(posted.get((payment.id, PAYMENT_CAPTURED_KIND), Counter()))
            returned = _lines(posted.get((payment.id, REFUND_COMPLETED_KIND), Counter()))
            if not payment.captured:
                assert not captured
                continue
            assert captured[COST] == processing_cost
            assert captured[CLEARING] + captured[COST] == payment.total
            assert returned[CLEARING] == -payment.refunded
            assert COST not in returned, "the processor keeps its fee"
            assert set(returned) <= set(captured)
            for line in set(captured) - {CLEARING, COST}:
                left = captured[line] + returned[line]
                assert captured[line] <= left <= 0, (line, captured[line], left)
                if payment.status is PaymentStatus.REFUNDED:
                    assert left == 0, (line, left)
                if line[0] == VENUE:
                    venues_owed[line[1]] -= left

        owed = sum(p.total - p.refunded for p in self.model if p.captured)
        assert balances[CLEARING] + balances[COST] == owed
        assert balances[COST] == sum(stored[p.id][3] for p in self.model if p.captured)
        assert sum(v for (kind, _), v in balances.items() if kind not in DEBIT_KINDS) == -owed
        for venue, _ in self.venues:
            owner = str(venue)
            pending = balances[AccountKind.VENUE_PENDING.value, owner]
            available = balances[AccountKind.VENUE_AVAILABLE.value, owner]
            assert (-pending, available) == (venues_owed[owner], 0), (
                "pending holds what is left of the venue's lines; nothing was paid out"
            )
        completed = sum(p.captured for p in self.model)
        assert counts == {
            "payment.completed": completed,
            "payment.failed": sum(p.settled and not p.good_card for p in self.model),
            "refund.completed": sum(r.completed for p in self.model for r in p.refunds),
            "refund.failed": 0,
            "refunds": sum(len(p.refunds) for p in self.model),
            "mint jobs": completed,
            "intents": sum(p.settled for p in self.model),
        }


def _lines(by_account: Counter[Account]) -> Counter[Account]:
    """Postings by line: an account, except that a venue's pending and available accounts
    are one line (VENUE, its id), as a refund may take the venue's share from either."""
    venue_kinds = {AccountKind.VENUE_PENDING.value, AccountKind.VENUE_AVAILABLE.value}
    lines: Counter[Account] = Counter()
    for (kind, owner), amount in by_account.items():
        lines[VENUE if kind in venue_kinds else kind, owner] += amount
    return lines


async def _payments(
    connection: Any, tenant: uuid.UUID
) -> dict[uuid.UUID, tuple[PaymentStatus, int, int, int]]:
    rows = await connection.execute(
        sa.select(
            payment_transactions.c.id,
            payment_transactions.c.status,
            payment_transactions.c.total_amount,
            payment_transactions.c.refunded_amount,
            payment_transactions.c.processing_cost,
        ).where(payment_transactions.c.tenant_id == tenant)
    )
    return {
        row.id: (
            PaymentStatus(row.status),
            row.total_amount,
            row.refunded_amount,
            row.processing_cost,
        )
        for row in rows
    }


async def _postings(connection: Any, tenant: uuid.UUID) -> list[Any]:
    """The tenant's postings, each with its entry, the payment that entry belongs to (its
    reference, or the payment of its refund) and its account."""
    rows = await connection.execute(
        sa.select(
            ledger_postings.c.entry_id,
            ledger_entries.c.kind.label("entry_kind"),
            sa.func.coalesce(payment_refunds.c.transaction_id, ledger_entries.c.reference_id).label(
                "payment_id"
            ),
            ledger_postings.c.account_id,
            ledger_accounts.c.kind.label("account_kind"),
            ledger_accounts.c.owner,
            ledger_postings.c.amount,
            ledger_postings.c.currency,
        )
        .select_from(
            ledger_postings.join(
                ledger_entries,
                sa.and_(
                    ledger_entries.c.tenant_id == ledger_postings.c.tenant_id,
                    ledger_entries.c.id == ledger_postings.c.entry_id,
                ),
            )
            .join(
                ledger_accounts,
                sa.and_(
                    ledger_accounts.c.tenant_id == ledger_postings.c.tenant_id,
                    ledger_accounts.c.id == ledger_postings.c.account_id,
                ),
            )
            .outerjoin(
                payment_refunds,
                sa.and_(
                    ledger_entries.c.reference_type == PAYMENT_REFUND_REFERENCE,
                    payment_refunds.c.tenant_id == ledger_entries.c.tenant_id,
                    payment_refunds.c.id == ledger_entries.c.reference_id,
                ),
            )
        )
        .where(ledger_postings.c.tenant_id == tenant)
    )
    return list(rows)


async def _stored_balances(connection: Any, tenant: uuid.UUID) -> dict[uuid.UUID, int]:
    """The balances the ledger keeps in a column (the accounts that guard a limit)."""
    rows = await connection.execute(
        sa.select(ledger_accounts.c.id, ledger_accounts.c.balance).where(
            ledger_accounts.c.tenant_id == tenant, ledger_accounts.c.balance.is_not(None)
        )
    )
    return {account_id: int(balance) for account_id, balance in rows}


async def _counts(connection: Any, tenant: uuid.UUID) -> dict[str, int]:
    """Outbox rows of the payment and refund events, and the tenant's refunds, mint jobs
    and intents."""

    def count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return (
            sa.select(sa.func.count())
            .select_from(table)
            .where(table.c.tenant_id == tenant, *where)
            .scalar_subquery()
        )

    events = ("payment.completed", "payment.failed", "refund.completed", "refund.failed")
    row = (
        await connection.execute(
            sa.select(
                *(count(outbox, outbox.c.event_type == event).label(event) for event in events),
                count(payment_refunds).label("refunds"),
                count(nft_mint_queue).label("mint jobs"),
                count(payment_intents).label("intents"),
            )
        )
    ).one()
    return {name: int(value) for name, value in row._mapping.items()}


# A normal run takes well under a second per example; a failing one then shrinks for up
# to five minutes (hypothesis's own limit) before it reports.
@pytest.mark.timeout(600 + EXAMPLES)
def test_payments_refunds_timeouts_and_retries_keep_the_ledger_true(world: World) -> None:
    run_state_machine_as_test(
        lambda: PaymentLedgerMachine(world),  # type: ignore[arg-type]  # any factory will do
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            # Not "explain": on Python 3.11 it traces every line, far too slow here.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    report = world.run(world.container.ledger.verify())
    assert report.ok, report
