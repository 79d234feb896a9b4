"""In-memory implementations of the service layer's ports, for use-case unit tests.

``FakeUnitOfWork`` keeps what a real transaction guarantees: a block that raises leaves
the state as it was before the block (everything it wrote is rolled back), and blocks
run one at a time (as if every transaction took the same lock), so a service that
relies on its unit of work for atomicity is tested for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from tt_high_demand import PurchaseCounts, PurchaseLimits, check_purchase
from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    PAYMENT_REFUND_REFERENCE,
    PAYMENT_TRANSACTION_REFERENCE,
    PAYMENT_TRANSITIONS,
    REFUND_COMPLETED_KIND,
    AccountKind,
    AccountRef,
    JournalEntry,
    PaymentEvent,
    PaymentStatus,
    PayoutStatus,
    RefundStatus,
)
from tt_ledger.payment_states import REFUNDABLE_STATUSES
from tt_money import Currency, Money
from tt_payments.catalog import Event, Venue
from tt_payments.clock import utcnow
from tt_payments.idempotency import IdempotencyScope
from tt_payments.payments.records import PaymentRecord, RefundRecord
from tt_payments.payouts.records import PayoutRecord, PayoutSettings
from tt_payments.tickets.records import (
    HoldStatus,
    SeatTakenError,
    SoldOutError,
    TicketHold,
    TicketType,
    TicketTypeNotFoundError,
)

S = TypeVar("S")
R = TypeVar("R")


class FakeUnitOfWork(Generic[S, R]):
    """``UnitOfWork[R]`` over a state ``S``: ``bind`` turns the state into the block's
    repositories; a block that raises restores the state it started from."""

    def __init__(self, state: S, bind: Callable[[S], R]) -> None:
        self.state = state
        self._bind = bind
        self._lock = asyncio.Lock()
        self.committed = 0
        self.rolled_back = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[R]:
        async with self._lock:
            before = copy.deepcopy(self.state)
            try:
                yield self._bind(self.state)
            except BaseException:
                self._restore(before)
                self.rolled_back += 1
                raise
            self.committed += 1

    def _restore(self, before: S) -> None:
        _restore_into(self.state, before)


def _restore_into(target: object, before: object) -> None:
    """Put ``before``'s values back into ``target``, keeping every attrs object nested in
    it the same object (fakes hold references to them, such as a state's ``Books``)."""
    for field in attrs.fields(type(target)):  # type: ignore[misc]
        now, then = getattr(target, field.name), getattr(before, field.name)
        if attrs.has(type(now)):
            _restore_into(now, then)
        else:
            setattr(target, field.name, then)


@attrs.define
class Books:
    """The ledger and outbox of one in-memory database."""

    accounts: set[AccountRef] = attrs.field(factory=set)
    entries: list[JournalEntry] = attrs.field(factory=list)
    events: list[dict[str, object]] = attrs.field(factory=list)


class FakeLedgerAccounts:
    """``LedgerAccounts``: remembers the accounts it was asked to create."""

    def __init__(self, books: Books) -> None:
        self._books = books

    async def ensure_accounts(self, accounts: Iterable[AccountRef]) -> None:
        self._books.accounts.update(accounts)


class FakeLedgerWriter:
    """``LedgerWriter``: balances summed from the entries posted so far."""

    def __init__(self, books: Books) -> None:
        self._books = books

    async def balance(self, account: AccountRef, *, lock: bool = False) -> Money:
        total = sum(
            posting.amount.minor
            for entry in self._books.entries
            for posting in entry.postings
            if posting.account == account
        )
        return Money(total, account.currency)

    async def post(self, entry: JournalEntry) -> None:
        missing = {posting.account for posting in entry.postings} - self._books.accounts
        if missing:
            raise AssertionError(f"posted to accounts never ensured: {missing}")
        if any(existing.id == entry.id for existing in self._books.entries):
            raise AssertionError(f"entry {entry.id} posted twice")
        self._books.entries.append(entry)

    async def entries_for(
        self,
        tenant_id: uuid.UUID,
        *,
        reference_type: str,
        reference_ids: Sequence[uuid.UUID],
        kind: str,
    ) -> list[JournalEntry]:
        return [
            entry
            for entry in self._books.entries
            if entry.tenant_id == tenant_id
            and entry.reference_type == reference_type
            and entry.reference_id in reference_ids
            and entry.kind == kind
        ]


class FakeOutboxWriter:
    def __init__(self, books: Books) -> None:
        self._books = books

    async def append(
        self,
        *,
        tenant_id: uuid.UUID,
        event_type: str,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        data: Mapping[str, object],
    ) -> uuid.UUID:
        event_id = uuid.uuid4()
        self._books.events.append(
            {
                "id": event_id,
                "tenantId": tenant_id,
                "type": event_type,
                "aggregateType": aggregate_type,
                "aggregateId": aggregate_id,
                "data": dict(data),
            }
        )
        return event_id


@attrs.define
class PayoutsState:
    books: Books = attrs.field(factory=Books)
    payouts: dict[tuple[uuid.UUID, uuid.UUID], PayoutRecord] = attrs.field(factory=dict)
    updated: dict[tuple[uuid.UUID, uuid.UUID], dt.datetime] = attrs.field(factory=dict)
    settings: dict[tuple[uuid.UUID, uuid.UUID], PayoutSettings] = attrs.field(factory=dict)


class FakePayoutRepository:
    def __init__(self, state: PayoutsState) -> None:
        self._state = state

    async def insert(self, record: PayoutRecord) -> bool:
        if record.idempotency_key is not None and any(
            (other.tenant_id, other.requested_by, other.idempotency_key)
            == (record.tenant_id, record.requested_by, record.idempotency_key)
            for other in self._state.payouts.values()
        ):
            return False
        self._state.payouts[(record.tenant_id, record.id)] = record
        self._state.updated[(record.tenant_id, record.id)] = record.created_at
        return True

    async def lock_status(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutStatus | None:
        record = self._state.payouts.get((tenant_id, payout_id))
        return None if record is None else record.status

    async def move(
        self,
        payout: PayoutRecord,
        source: PayoutStatus,
        target: PayoutStatus,
        *,
        now: dt.datetime,
        provider_payout_id: str | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
    ) -> bool:
        key = (payout.tenant_id, payout.id)
        current = self._state.payouts.get(key)
        if current is None or current.status is not source:
            return False
        changes: dict[str, object] = {"status": target}
        if provider_payout_id is not None and current.provider_payout_id is None:
            changes["provider_payout_id"] = provider_payout_id
        if failure_code is not None or failure_message is not None:
            changes["failure_code"] = failure_code
            changes["failure_message"] = failure_message
        if target is PayoutStatus.PAID:
            changes["paid_at"] = now
        self._state.payouts[key] = attrs.evolve(current, **changes)  # type: ignore[arg-type]
        self._state.updated[key] = now
        return True

    async def get(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutRecord | None:
        return self._state.payouts.get((tenant_id, payout_id))

    async def by_key(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> PayoutRecord | None:
        for record in self._state.payouts.values():
            if (record.tenant_id, record.requested_by, record.idempotency_key) == (
                tenant_id,
                requested_by,
                key,
            ):
                return record
        return None

    async def recent(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        venue_id: uuid.UUID | None = None,
        statuses: Collection[PayoutStatus] = (),
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[PayoutRecord]:
        rows = [
            record
            for record in self._state.payouts.values()
            if (tenant_id is None or record.tenant_id == tenant_id)
            and (venue_id is None or record.venue_id == venue_id)
            and (not statuses or record.status in statuses)
        ]
        if oldest_first:
            rows.sort(key=lambda record: self._state.updated[(record.tenant_id, record.id)])
        else:
            rows.sort(key=lambda record: record.created_at, reverse=True)
        return rows[:limit]

    async def total_since(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        since: dt.datetime,
        statuses: Collection[PayoutStatus],
    ) -> int:
        return sum(
            record.amount.minor
            for record in self._state.payouts.values()
            if record.tenant_id == tenant_id
            and record.venue_id == venue_id
            and record.created_at >= since
            and record.status in statuses
        )

    async def payable_balances(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        writer = FakeLedgerWriter(self._state.books)
        payable = []
        for account in sorted(self._state.books.accounts, key=str):
            if account.tenant_id == tenant_id and account.kind is AccountKind.VENUE_AVAILABLE:
                balance = (await writer.balance(account)).minor
                if balance < 0:
                    payable.append((uuid.UUID(account.owner), -balance))
        return payable

    async def settings(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> PayoutSettings | None:
        return self._state.settings.get((tenant_id, venue_id))

    async def put_settings(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        settings: PayoutSettings,
        *,
        now: dt.datetime,
    ) -> None:
        self._state.settings[(tenant_id, venue_id)] = settings


@attrs.frozen
class FakePayoutsTransaction:
    payouts: FakePayoutRepository
    ledger: FakeLedgerWriter
    outbox: FakeOutboxWriter

    @classmethod
    def bind(cls, state: PayoutsState) -> FakePayoutsTransaction:
        return cls(
            FakePayoutRepository(state),
            FakeLedgerWriter(state.books),
            FakeOutboxWriter(state.books),
        )


class FakeCatalog:
    """``Catalog`` in a dict."""

    def __init__(self, *venues: Venue) -> None:
        self._venues = {(venue.tenant_id, venue.id): venue for venue in venues}
        self._events: dict[tuple[uuid.UUID, uuid.UUID], Event] = {}

    async def put_venue(self, venue: Venue) -> bool:
        new = (venue.tenant_id, venue.id) not in self._venues
        self._venues[(venue.tenant_id, venue.id)] = venue
        return new

    async def get_venue(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Venue | None:
        return self._venues.get((tenant_id, venue_id))

    async def put_event(self, event: Event) -> bool:
        new = (event.tenant_id, event.id) not in self._events
        self._events[(event.tenant_id, event.id)] = event
        return new

    async def get_event(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
        return self._events.get((tenant_id, event_id))


# --- the payments context ------------------------------------------------------------


@attrs.define
class StoredRefund:
    tenant_id: uuid.UUID
    record: RefundRecord
    requested_by: uuid.UUID
    idempotency_key: uuid.UUID
    metadata: dict[str, object]
    failure_reason: str | None = None


@attrs.define
class PaymentsState:
    books: Books = attrs.field(factory=Books)
    payments: dict[tuple[uuid.UUID, uuid.UUID], PaymentRecord] = attrs.field(factory=dict)
    metadata: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = attrs.field(factory=dict)
    holdings: dict[tuple[uuid.UUID, uuid.UUID], tuple[str, str | None, int]] = attrs.field(
        factory=dict
    )
    """(payment method, address fingerprint, tickets) of each payment, for the limits."""
    refunds: dict[tuple[uuid.UUID, uuid.UUID], StoredRefund] = attrs.field(factory=dict)
    intents: list[dict[str, object]] = attrs.field(factory=list)
    mint_jobs: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = attrs.field(factory=dict)
    answers: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], tuple[int, bytes]] = attrs.field(
        factory=dict
    )
    tax_collections: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = attrs.field(
        factory=dict
    )
    tax_reversals: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = attrs.field(
        factory=dict
    )
    tickets: TicketsState = attrs.field(factory=lambda: TicketsState())  # noqa: PLW0108 - defined below


@attrs.define
class TicketsState:
    """The local catalog's rows: ticket types and holds."""

    types: dict[tuple[uuid.UUID, uuid.UUID], TicketType] = attrs.field(factory=dict)
    holds: dict[tuple[uuid.UUID, uuid.UUID], TicketHold] = attrs.field(factory=dict)
    seats: dict[tuple[uuid.UUID, uuid.UUID, str], uuid.UUID] = attrs.field(factory=dict)


def _recount(state: TicketsState, hold: TicketHold, *, held: int, sold: int) -> None:
    key = (hold.tenant_id, hold.ticket_type_id)
    current = state.types[key]
    state.types[key] = attrs.evolve(
        current,
        taken=current.taken + held + sold,
        held=(current.held or 0) + held,
        sold=(current.sold or 0) + sold,
    )


def _release_hold(state: TicketsState, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
    hold = state.holds.get((tenant_id, hold_id))
    if hold is None or hold.status is HoldStatus.RELEASED:
        return False
    if hold.status is HoldStatus.HELD:
        _recount(state, hold, held=-hold.quantity, sold=0)
    else:
        _recount(state, hold, held=0, sold=-hold.quantity)
    for seat in hold.seat_numbers:
        state.seats.pop((tenant_id, hold.ticket_type_id, seat), None)
    state.holds[(tenant_id, hold_id)] = attrs.evolve(hold, status=HoldStatus.RELEASED)
    return True


def _confirm_held(state: TicketsState, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
    """Held -> confirmed (sold), as the SQL catalog does; False when it was not held."""
    hold = state.holds.get((tenant_id, hold_id))
    if hold is None or hold.status is not HoldStatus.HELD:
        return False
    _recount(state, hold, held=-hold.quantity, sold=hold.quantity)
    state.holds[(tenant_id, hold_id)] = attrs.evolve(hold, status=HoldStatus.CONFIRMED)
    return True


class FakeTicketCatalog:
    """``TicketCatalog`` over a ``TicketsState`` (each call one transaction)."""

    def __init__(self, state: TicketsState) -> None:
        self._state = state

    def put(self, ticket_type: TicketType) -> None:
        if ticket_type.held is None:  # counted, as the SQL catalog's put and listing do
            ticket_type = attrs.evolve(ticket_type, held=ticket_type.taken, sold=0)
        self._state.types[(ticket_type.tenant_id, ticket_type.id)] = ticket_type

    def of(self, tenant_id: uuid.UUID, ticket_type_id: uuid.UUID) -> TicketType:
        return self._state.types[(tenant_id, ticket_type_id)]

    async def quote(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, ticket_type_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, TicketType]:
        return {
            type_id: found
            for type_id in ticket_type_ids
            if (found := self._state.types.get((tenant_id, type_id))) is not None
            and found.event_id == event_id
        }

    async def hold(
        self,
        tenant_id: uuid.UUID,
        *,
        hold_id: uuid.UUID,
        event_id: uuid.UUID,
        ticket_type_id: uuid.UUID,
        user_id: uuid.UUID,
        quantity: int,
        seat_numbers: Sequence[str] = (),
        expires_at: dt.datetime,
    ) -> TicketHold:
        existing = self._state.holds.get((tenant_id, hold_id))
        if existing is not None:
            return existing
        found = self._state.types.get((tenant_id, ticket_type_id))
        if found is None or found.event_id != event_id:
            raise TicketTypeNotFoundError(f"no ticket type {ticket_type_id}")
        if found.available < quantity:
            raise SoldOutError(f"only {found.available} left")
        taken = [s for s in seat_numbers if (tenant_id, ticket_type_id, s) in self._state.seats]
        if taken:
            raise SeatTakenError(f"seats {taken} are taken")
        hold = TicketHold(
            tenant_id=tenant_id,
            id=hold_id,
            ticket_type_id=ticket_type_id,
            user_id=user_id,
            quantity=quantity,
            seat_numbers=tuple(seat_numbers),
            status=HoldStatus.HELD,
            expires_at=expires_at,
        )
        for seat in seat_numbers:
            self._state.seats[(tenant_id, ticket_type_id, seat)] = hold_id
        self._state.holds[(tenant_id, hold_id)] = hold
        _recount(self._state, hold, held=quantity, sold=0)
        return hold

    async def confirm(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        return _confirm_held(self._state, tenant_id, hold_id)

    async def release(self, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> bool:
        return _release_hold(self._state, tenant_id, hold_id)

    async def release_expired(self, now: dt.datetime, *, limit: int = 500) -> int:
        due = [
            hold
            for hold in self._state.holds.values()
            if hold.status is HoldStatus.HELD and hold.expires_at <= now
        ][:limit]
        return sum(_release_hold(self._state, hold.tenant_id, hold.id) for hold in due)


class FakeTicketHolds:
    """``TicketHoldWriter`` inside a fake transaction."""

    def __init__(self, state: TicketsState) -> None:
        self._state = state

    async def confirm(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        lost = []
        for hold_id in hold_ids:
            hold = self._state.holds.get((tenant_id, hold_id))
            if hold is None:
                lost.append(hold_id)
            elif _confirm_held(self._state, tenant_id, hold_id):
                continue
            elif hold.status is HoldStatus.RELEASED:
                found = self._state.types[(tenant_id, hold.ticket_type_id)]
                seats_free = all(
                    (tenant_id, hold.ticket_type_id, seat) not in self._state.seats
                    for seat in hold.seat_numbers
                )
                if found.available < hold.quantity or not seats_free:
                    lost.append(hold_id)
                    continue
                for seat in hold.seat_numbers:
                    self._state.seats[(tenant_id, hold.ticket_type_id, seat)] = hold_id
                _recount(self._state, hold, held=0, sold=hold.quantity)
                self._state.holds[(tenant_id, hold_id)] = attrs.evolve(
                    hold, status=HoldStatus.CONFIRMED
                )
        return lost

    async def release(self, tenant_id: uuid.UUID, hold_ids: Sequence[uuid.UUID]) -> int:
        return sum(_release_hold(self._state, tenant_id, hold_id) for hold_id in hold_ids)


_HOLDING = {
    PaymentStatus.PROCESSING,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.COMPLETED,
    PaymentStatus.PARTIALLY_REFUNDED,
}
# The payment_transactions columns a transition may set, as PaymentRecord fields.
_PAYMENT_COLUMNS = {
    "stripe_payment_intent_id": "provider_payment_id",
    "completed_at": "completed_at",
    "decline_code": "decline_code",
    "failure_message": "failure_message",
}


class FakePaymentStore:
    """``PaymentStore`` over a ``PaymentsState`` (the processor-event methods are the
    webhook tests' business: they raise here)."""

    def __init__(self, state: PaymentsState) -> None:
        self._state = state

    async def insert_processing(
        self,
        record: PaymentRecord,
        metadata: Mapping[str, object],
        *,
        payment_method_id: str,
        device_fingerprint: str | None,
        ticket_count: int,
        address_fingerprint: str | None = None,
        limits: PurchaseLimits | None = None,
    ) -> PaymentRecord:
        existing = await self.find_by_idempotency_key(
            record.tenant_id, record.user_id, record.idempotency_key
        )
        if existing is not None:
            return existing
        if limits is not None:
            check_purchase(
                limits,
                requested_tickets=ticket_count,
                held=self._held(record, payment_method_id, address_fingerprint),
            )
        key = (record.tenant_id, record.id)
        self._state.payments[key] = record
        self._state.metadata[key] = dict(metadata)
        self._state.holdings[key] = (payment_method_id, address_fingerprint, ticket_count)
        return record

    def _held(self, record: PaymentRecord, method: str, address: str | None) -> PurchaseCounts:
        by_user = by_method = by_address = 0
        for key, other in self._state.payments.items():
            if other.event_id != record.event_id or other.status not in _HOLDING:
                continue
            other_method, other_address, tickets = self._state.holdings[key]
            by_user += tickets if other.user_id == record.user_id else 0
            by_method += tickets if other_method == method else 0
            by_address += tickets if address is not None and other_address == address else 0
        return PurchaseCounts(by_user=by_user, by_payment_method=by_method, by_address=by_address)

    async def find_by_idempotency_key(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, key: uuid.UUID | None
    ) -> PaymentRecord | None:
        for record in self._state.payments.values():
            if (record.tenant_id, record.user_id, record.idempotency_key) == (
                tenant_id,
                user_id,
                key,
            ):
                return record
        return None

    async def get(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> PaymentRecord | None:
        return self._state.payments.get((tenant_id, transaction_id))

    async def get_in_any_tenant(self, transaction_id: uuid.UUID) -> PaymentRecord | None:
        return next((r for r in self._state.payments.values() if r.id == transaction_id), None)

    async def find_by_provider_payment(self, provider_payment_id: str) -> PaymentRecord | None:
        return next(
            (
                r
                for r in self._state.payments.values()
                if r.provider_payment_id == provider_payment_id
            ),
            None,
        )

    async def metadata_of(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> dict[str, Any]:
        return dict(self._state.metadata[(tenant_id, transaction_id)])

    async def link_order(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, order_id: uuid.UUID
    ) -> bool:
        key = (tenant_id, transaction_id)
        record = self._state.payments[key]
        if record.order_id not in (None, order_id):
            return False
        self._state.payments[key] = attrs.evolve(record, order_id=order_id)
        return True

    async def stats_since(self, tenant_id: uuid.UUID, since: dt.datetime) -> dict[str, int]:
        raise NotImplementedError("the admin stats are tested against PostgreSQL")

    async def find_refund(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> RefundRecord | None:
        for stored in self._state.refunds.values():
            if (stored.tenant_id, stored.requested_by, stored.idempotency_key) == (
                tenant_id,
                requested_by,
                key,
            ):
                return stored.record
        return None

    async def find_refund_for_provider(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        refund_id: uuid.UUID | None,
        provider_refund_id: str,
    ) -> RefundRecord | None:
        for stored in self._state.refunds.values():
            refund = stored.record
            if stored.tenant_id != tenant_id or refund.transaction_id != transaction_id:
                continue
            if (refund_id is not None and refund.id == refund_id) or (
                refund_id is None and refund.provider_refund_id == provider_refund_id
            ):
                return refund
        return None

    async def record_event(self, **event: object) -> tuple[uuid.UUID, int, PaymentStatus] | None:
        raise NotImplementedError("processor events are tested against PostgreSQL")

    async def decide_event(self, *args: object) -> None:
        raise NotImplementedError("processor events are tested against PostgreSQL")

    async def newest_applied_charge_event(self, *args: object) -> dt.datetime | None:
        raise NotImplementedError("processor events are tested against PostgreSQL")

    async def held_events(self, limit: int, **where: object) -> list[dict[str, Any]]:
        raise NotImplementedError("processor events are tested against PostgreSQL")

    async def count_held_events(self) -> int:
        raise NotImplementedError("processor events are tested against PostgreSQL")


class FakePaymentWriter:
    def __init__(self, state: PaymentsState) -> None:
        self._state = state

    async def transition(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        event: PaymentEvent,
        target: PaymentStatus,
        **changes: Any,
    ) -> bool:
        key = (tenant_id, transaction_id)
        record = self._state.payments[key]
        sources = {s for s, t, e in PAYMENT_TRANSITIONS if e is event and t is target}
        if not sources:
            raise ValueError(f"{event.value} never leads to {target.value}")
        if record.status not in sources:
            return False
        fields = {_PAYMENT_COLUMNS[column]: value for column, value in changes.items()}
        self._state.payments[key] = attrs.evolve(record, status=target, **fields)
        return True

    async def record_intent(self, **intent: object) -> None:
        if intent["provider_payment_id"]:
            self._state.intents.append(dict(intent))

    async def queue_mint(
        self,
        *,
        tenant_id: uuid.UUID,
        payment_id: uuid.UUID,
        ticket_ids: Sequence[uuid.UUID],
        venue_id: uuid.UUID,
        event_id: uuid.UUID,
        blockchain: str,
    ) -> uuid.UUID:
        key = (tenant_id, payment_id)
        if key not in self._state.mint_jobs:
            self._state.mint_jobs[key] = uuid.uuid4()
            self._state.payments[key] = attrs.evolve(
                self._state.payments[key],
                mint_job_id=self._state.mint_jobs[key],
                mint_status="queued",
            )
        return self._state.mint_jobs[key]

    async def lock_payment(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
        """Nothing to lock: the fake unit of work runs one block at a time."""

    async def capture_and_refunds(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[JournalEntry, list[JournalEntry]]:
        entries = self._state.books.entries
        (capture,) = [
            e
            for e in entries
            if e.kind == PAYMENT_CAPTURED_KIND
            and e.reference_type == PAYMENT_TRANSACTION_REFERENCE
            and e.reference_id == transaction_id
        ]
        completed = {
            stored.record.id
            for stored in self._state.refunds.values()
            if stored.record.transaction_id == transaction_id
            and stored.record.status is RefundStatus.COMPLETED
        }
        refunds = [
            e
            for e in entries
            if e.kind == REFUND_COMPLETED_KIND
            and e.reference_type == PAYMENT_REFUND_REFERENCE
            and e.reference_id in completed
        ]
        return capture, refunds

    async def reserve_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> bool:
        key = (tenant_id, transaction_id)
        record = self._state.payments[key]
        if record.status not in REFUNDABLE_STATUSES or record.refunded + amount > record.total:
            return False
        self._state.payments[key] = attrs.evolve(record, refunded=record.refunded + amount)
        return True

    async def release_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> None:
        key = (tenant_id, transaction_id)
        record = self._state.payments[key]
        self._state.payments[key] = attrs.evolve(record, refunded=record.refunded - amount)

    async def insert_refund(
        self,
        refund: RefundRecord,
        *,
        tenant_id: uuid.UUID,
        idempotency_key: uuid.UUID,
        requested_by: uuid.UUID,
        metadata: Mapping[str, object],
    ) -> None:
        key = (tenant_id, refund.id)
        if key in self._state.refunds or any(
            (s.tenant_id, s.requested_by, s.idempotency_key)
            == (tenant_id, requested_by, idempotency_key)
            for s in self._state.refunds.values()
        ):
            raise AssertionError("a refund inserted twice (the database refuses it)")
        stored = attrs.evolve(refund, created_at=refund.created_at or utcnow())
        self._state.refunds[key] = StoredRefund(
            tenant_id=tenant_id,
            record=stored,
            requested_by=requested_by,
            idempotency_key=idempotency_key,
            metadata=dict(metadata),
        )

    async def move_refund(
        self,
        tenant_id: uuid.UUID,
        refund_id: uuid.UUID,
        source: RefundStatus,
        target: RefundStatus,
        *,
        now: dt.datetime,
        provider_refund_id: str | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        stored = self._state.refunds[(tenant_id, refund_id)]
        if stored.record.status is not source:
            return False
        changes: dict[str, object] = {"status": target}
        if provider_refund_id is not None:
            changes["provider_refund_id"] = provider_refund_id
        stored.record = attrs.evolve(stored.record, **changes)  # type: ignore[arg-type]
        stored.failure_reason = failure_reason or stored.failure_reason
        return True

    async def completed_refunds_total(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> int:
        return sum(
            s.record.amount.minor
            for s in self._state.refunds.values()
            if s.tenant_id == tenant_id
            and s.record.transaction_id == transaction_id
            and s.record.status is RefundStatus.COMPLETED
        )

    async def refunded_total(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[int, int]:
        record = self._state.payments[(tenant_id, transaction_id)]
        return record.refunded.minor, record.total.minor


class FakeAnswerWriter:
    def __init__(self, state: PaymentsState) -> None:
        self._state = state

    async def finish(self, scope: IdempotencyScope, status: int, body: bytes) -> None:
        self._state.answers[(scope.tenant_id, scope.user_id, scope.key)] = (status, body)


class FakeTaxRecordWriter:
    def __init__(self, state: PaymentsState) -> None:
        self._state = state

    async def insert_collection(
        self, *, tenant_id: uuid.UUID, payment_id: uuid.UUID, lines: Sequence[Any], **rest: object
    ) -> bool:
        key = (tenant_id, payment_id)
        if key in self._state.tax_collections:
            return False
        self._state.tax_collections[key] = [dict(line) for line in lines]
        return True

    async def collection_lines(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> list[dict[str, Any]] | None:
        return self._state.tax_collections.get((tenant_id, payment_id))

    async def insert_reversal(
        self, *, tenant_id: uuid.UUID, refund_id: uuid.UUID, lines: Sequence[Any], **rest: object
    ) -> bool:
        key = (tenant_id, refund_id)
        if key in self._state.tax_reversals:
            return False
        self._state.tax_reversals[key] = [dict(line) for line in lines]
        return True


@attrs.frozen
class FakePaymentsTransaction:
    payments: FakePaymentWriter
    ledger: FakeLedgerWriter
    outbox: FakeOutboxWriter
    answers: FakeAnswerWriter
    tax: FakeTaxRecordWriter
    tickets: FakeTicketHolds

    @classmethod
    def bind(cls, state: PaymentsState) -> FakePaymentsTransaction:
        return cls(
            FakePaymentWriter(state),
            FakeLedgerWriter(state.books),
            FakeOutboxWriter(state.books),
            FakeAnswerWriter(state),
            FakeTaxRecordWriter(state),
            FakeTicketHolds(state.tickets),
        )


class RememberedNonces:
    """A nonce store in memory: every nonce is fresh once."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    async def claim(self, service: str, nonce: str, ttl_seconds: int) -> bool:
        fresh = (service, nonce) not in self.seen
        self.seen.add((service, nonce))
        return fresh


class FakeSalesVolume:
    """No sales yet: every venue is in its first fee tier."""

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        return Money(0, currency)


@attrs.define
class RecordingMetrics:
    """``PaymentMetrics`` that keeps what it was told."""

    finished: list[tuple[str, str, Money | None]] = attrs.field(factory=list)
    refunds: list[str] = attrs.field(factory=list)
    in_flight_now: int = 0

    def payment_finished(self, *, status: str, method: str, amount: Money | None) -> None:
        self.finished.append((status, method, amount))

    def refund_finished(self, *, status: str) -> None:
        self.refunds.append(status)

    def processing_seconds(self, *, method: str, seconds: float) -> None:
        pass

    def in_flight(self, delta: int) -> None:
        self.in_flight_now += delta

    def exposition(self) -> tuple[bytes, str]:
        return b"", "text/plain"
