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
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from typing import Generic, TypeVar

import attrs

from tt_ledger import AccountKind, AccountRef, JournalEntry, PayoutStatus
from tt_money import Money
from tt_payments.catalog import Event, Venue
from tt_payments.payouts.records import PayoutRecord, PayoutSettings

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
        for field in attrs.fields(type(before)):  # type: ignore[arg-type]
            setattr(self.state, field.name, getattr(before, field.name))


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
