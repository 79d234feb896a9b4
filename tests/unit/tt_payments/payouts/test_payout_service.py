"""PayoutService against in-memory ports: the rules, the state machine, the entries and
events each step writes, and that a step that fails writes nothing.

The same service runs against PostgreSQL in tests/e2e/test_venue_payouts_http.py
(concurrency, the daily limit across requests, webhooks, the CLI).
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs
import pytest

from tests.unit.tt_payments.fakes import (
    FakeCatalog,
    FakeLedgerAccounts,
    FakePayoutsTransaction,
    FakeUnitOfWork,
    PayoutsState,
)
from tt_ledger import (
    AccountKind,
    AccountRef,
    DailyPayoutLimitError,
    InsufficientFundsError,
    JournalEntry,
    PayoutBelowMinimumError,
    PayoutRules,
    PayoutStatus,
    Posting,
    VenueAccounts,
)
from tt_money import USD, Money
from tt_payments.auth.identity import ForbiddenError, Principal, Role
from tt_payments.catalog import Venue
from tt_payments.payouts import PayoutAccountMissingError, PayoutService, PayoutSettings
from tt_payments.providers.payouts import PayoutResult
from tt_payments.providers.simulated_payouts import (
    FAILING_DESTINATION,
    PayoutFaultPoint,
    SimulatedPayouts,
)
from tt_tax import Address

NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
TENANT = uuid.uuid4()
ADMIN = Principal(user_id=uuid.uuid4(), tenant_id=TENANT, role=Role.ADMIN)


def venue(name: str = "The Ryman") -> Venue:
    return Venue(
        tenant_id=TENANT,
        id=uuid.uuid4(),
        name=name,
        address=Address(city="Nashville", state="TN", zip="37219"),
        time_zone="America/Chicago",
    )


@attrs.define
class World:
    service: PayoutService
    uow: FakeUnitOfWork[PayoutsState, FakePayoutsTransaction]
    provider: SimulatedPayouts
    now: list[dt.datetime]

    @property
    def state(self) -> PayoutsState:
        return self.uow.state

    def fund(self, venue_id: uuid.UUID, minor: int) -> None:
        """Sales settled to the venue: ``minor`` on its available account."""
        accounts = VenueAccounts.of(TENANT, venue_id, USD)
        clearing = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, USD)
        self.state.books.accounts.update({accounts.available, clearing})
        self.state.books.entries.append(
            JournalEntry(
                id=uuid.uuid4(),
                tenant_id=TENANT,
                kind="test.funded",
                reference_type="test",
                reference_id=venue_id,
                postings=(
                    Posting(account=clearing, amount=Money(minor, USD)),
                    Posting(account=accounts.available, amount=Money(-minor, USD)),
                ),
            )
        )

    def available(self, venue_id: uuid.UUID) -> int:
        account = VenueAccounts.of(TENANT, venue_id, USD).available
        return -sum(
            posting.amount.minor
            for entry in self.state.books.entries
            for posting in entry.postings
            if posting.account == account
        )

    def event_types(self) -> list[str]:
        return [str(event["type"]) for event in self.state.books.events]


def world(*venues: Venue, destination: bool = True, rules: PayoutRules | None = None) -> World:
    now = [NOON]
    state = PayoutsState()
    uow = FakeUnitOfWork(state, FakePayoutsTransaction.bind)
    provider = SimulatedPayouts(clock=lambda: now[0])
    service = PayoutService(
        uow=uow,
        accounts=FakeLedgerAccounts(state.books),
        catalog=FakeCatalog(*venues),
        provider=provider,
        rules=rules or PayoutRules(),
        default_destination=(lambda v: f"acct_sim_{v.hex[:16]}") if destination else None,
        clock=lambda: now[0],
    )
    return World(service=service, uow=uow, provider=provider, now=now)


async def test_a_standard_payout_is_recorded_posted_announced_and_in_transit() -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 19000)
    payout = await w.service.request(
        ADMIN, ryman.id, 12000, instant=False, idempotency_key=uuid.uuid4()
    )
    assert payout.status is PayoutStatus.IN_TRANSIT
    assert payout.provider_payout_id is not None
    assert (payout.amount.minor, payout.fee.minor, payout.net.minor) == (12000, 0, 12000)
    assert w.available(ryman.id) == 7000
    assert [entry.kind for entry in w.state.books.entries[1:]] == ["payout.requested"]
    assert w.event_types() == ["payout.requested"]


async def test_an_instant_payout_goes_from_pending_straight_to_paid() -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 10000)
    payout = await w.service.request(ADMIN, ryman.id, 10000, instant=True, idempotency_key=None)
    assert payout.status is PayoutStatus.PAID
    assert payout.paid_at == NOON
    assert (payout.fee.minor, payout.net.minor) == (100, 9900)
    assert [entry.kind for entry in w.state.books.entries[1:]] == [
        "payout.requested",
        "payout.paid",
    ]
    assert w.event_types() == ["payout.requested", "payout.paid"]


@pytest.mark.parametrize(
    ("amount", "error"), [(9999, PayoutBelowMinimumError), (19001, InsufficientFundsError)]
)
async def test_a_refused_request_writes_nothing(amount: int, error: type[Exception]) -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 19000)
    with pytest.raises(error):
        await w.service.request(ADMIN, ryman.id, amount, instant=False, idempotency_key=None)
    assert w.state.payouts == {}
    assert len(w.state.books.entries) == 1
    assert w.state.books.events == []
    assert w.uow.rolled_back == 1


async def test_a_request_that_fails_mid_transaction_leaves_no_half_payout() -> None:
    # Given a ledger that refuses the payout's entry (its accounts were never created)
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 19000)
    broken = attrs.evolve(w.service, accounts=FakeLedgerAccounts(type(w.state.books)()))
    # When a payout is requested, Then it fails, and neither the row nor an event is left
    with pytest.raises(AssertionError, match="never ensured"):
        await broken.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=None)
    assert w.state.payouts == {}
    assert w.state.books.events == []
    assert w.available(ryman.id) == 19000


async def test_the_same_key_is_the_same_payout() -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 30000)
    key = uuid.uuid4()
    first = await w.service.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=key)
    again = await w.service.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=key)
    assert again.id == first.id
    assert w.available(ryman.id) == 20000
    assert w.provider.payouts_created == 1


async def test_the_daily_limit_counts_payouts_in_flight_and_not_those_given_back() -> None:
    ryman = venue()
    rules = PayoutRules(minimum=Money(1000, USD), daily_limit=Money(15000, USD))
    w = world(ryman, rules=rules)
    w.fund(ryman.id, 40000)
    await w.service.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=None)
    with pytest.raises(DailyPayoutLimitError):
        await w.service.request(ADMIN, ryman.id, 6000, instant=False, idempotency_key=None)
    # A failed payout gives its share of the day back.
    await w.service.set_destination(
        ADMIN, ryman.id, PayoutSettings(destination=FAILING_DESTINATION, threshold_minor=0)
    )
    failed = await w.service.request(ADMIN, ryman.id, 5000, instant=False, idempotency_key=None)
    assert failed.status is PayoutStatus.FAILED
    await w.service.set_destination(
        ADMIN, ryman.id, PayoutSettings(destination="acct_sim_ok", threshold_minor=0)
    )
    ok = await w.service.request(ADMIN, ryman.id, 5000, instant=False, idempotency_key=None)
    assert ok.status is PayoutStatus.IN_TRANSIT


async def test_a_failed_payout_gives_everything_back_and_late_news_changes_nothing() -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 19000)
    payout = await w.service.request(ADMIN, ryman.id, 10000, instant=True, idempotency_key=None)
    assert payout.status is PayoutStatus.PAID
    # The bank returns it after it was paid: failed, the money (fee too) back to available.
    returned = PayoutResult(
        provider=w.provider.name,
        provider_payout_id=payout.provider_payout_id or "",
        status=PayoutStatus.FAILED,
        amount=payout.net,
        failure_code="account_closed",
    )
    after = await w.service.apply(payout, returned)
    assert after.status is PayoutStatus.FAILED
    assert after.failure_code == "account_closed"
    assert w.available(ryman.id) == 19000
    entries = len(w.state.books.entries)
    # A late "paid" and a repeated "failed" change nothing and post nothing.
    paid_again = attrs.evolve(returned, status=PayoutStatus.PAID, failure_code=None)
    assert (await w.service.apply(payout, paid_again)).status is PayoutStatus.FAILED
    assert (await w.service.apply(after, returned)).status is PayoutStatus.FAILED
    assert len(w.state.books.entries) == entries
    assert w.event_types() == ["payout.requested", "payout.paid", "payout.failed"]


async def test_a_canceled_payout_cannot_be_paid_later() -> None:
    ryman = venue()
    w = world(ryman)
    w.fund(ryman.id, 19000)
    payout = await w.service.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=None)
    canceled = PayoutResult(
        provider=w.provider.name,
        provider_payout_id=payout.provider_payout_id or "",
        status=PayoutStatus.CANCELED,
        amount=payout.net,
    )
    assert (await w.service.apply(payout, canceled)).status is PayoutStatus.CANCELED
    paid = attrs.evolve(canceled, status=PayoutStatus.PAID)
    assert (await w.service.apply(payout, paid)).status is PayoutStatus.CANCELED
    assert w.available(ryman.id) == 19000


async def test_run_due_pays_venues_above_threshold_reports_the_refused_and_reruns_safely() -> None:
    # Given three venues: one funded above its threshold, one below, one with no account
    paid, small, nowhere = venue("Paid"), venue("Small"), venue("Nowhere")
    w = world(paid, small, nowhere, destination=False)
    for v, minor in ((paid, 25000), (small, 15000), (nowhere, 30000)):
        w.fund(v.id, minor)
    await w.service.set_destination(
        ADMIN, paid.id, PayoutSettings(destination="acct_sim_paid", threshold_minor=20000)
    )
    await w.service.set_destination(
        ADMIN, small.id, PayoutSettings(destination="acct_sim_small", threshold_minor=20000)
    )
    seen: list[tuple[int, int]] = []
    # When the run goes
    report = await w.service.run_due(
        ADMIN, progress=lambda done, of, _venue, _outcome: seen.append((done, of))
    )
    # Then the first is paid in full, the second skipped, the third refused by name
    assert [(p.venue_id, p.amount.minor) for p in report.requested] == [(paid.id, 25000)]
    assert report.below_threshold == 1
    assert [(v, code) for v, code, _ in report.refused] == [
        (nowhere.id, PayoutAccountMissingError.default_code)
    ]
    assert seen == [(1, 2), (2, 2)]
    # And a second run pays nobody twice
    again = await w.service.run_due(ADMIN)
    assert again.requested == ()
    assert w.provider.payouts_created == 1


async def test_run_due_is_for_admins() -> None:
    ryman = venue()
    w = world(ryman)
    manager = Principal(
        user_id=uuid.uuid4(),
        tenant_id=TENANT,
        role=Role.VENUE_MANAGER,
        venues=frozenset({ryman.id}),
    )
    with pytest.raises(ForbiddenError):
        await w.service.run_due(manager)


async def test_sync_sends_an_unanswered_payout_again_within_a_day_and_not_after() -> None:
    ryman, other = venue(), venue("Other")
    w = world(ryman, other)
    w.fund(ryman.id, 10000)
    w.fund(other.id, 10000)
    w.provider.fail_next(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)
    pending = await w.service.request(ADMIN, ryman.id, 10000, instant=False, idempotency_key=None)
    assert pending.status is PayoutStatus.PENDING
    w.provider.fail_next(PayoutFaultPoint.TIMEOUT_BEFORE_PAYOUT)
    stale = await w.service.request(ADMIN, other.id, 10000, instant=False, idempotency_key=None)
    # The second one is over a day old by the time anybody looks at it.
    w.state.payouts[(TENANT, stale.id)] = attrs.evolve(
        stale, created_at=NOON - dt.timedelta(hours=25)
    )
    assert await w.service.sync(tenant_id=TENANT) == 1
    assert (await w.service.visible(ADMIN, pending.id)).status is PayoutStatus.IN_TRANSIT
    assert (await w.service.visible(ADMIN, stale.id)).status is PayoutStatus.PENDING
    assert w.provider.payouts_created == 1
