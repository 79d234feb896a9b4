"""Settlement moves a sale's venue share from pending to available, holding a rolling
reserve that is released later; every cent is accounted for and nothing posts twice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_ledger import (
    RESERVE_RELEASED_KIND,
    SALE_SETTLED_KIND,
    AccountKind,
    CapturedSale,
    HeldReserve,
    JournalEntry,
    LedgerError,
    SettlementPolicy,
    VenueAccounts,
    VenueBalance,
    balance_of,
    payment_captured_entry,
    plan_reserve_releases,
    plan_settlements,
    sale_settled_entry,
)
from tt_money import EUR, USD, Money, Rounding, percent_of

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")
ACCOUNTS = VenueAccounts.of(TENANT, VENUE, USD)
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
POLICY = SettlementPolicy()


def usd(minor: int) -> Money:
    return Money(minor, USD)


def sale(
    amount: int,
    *,
    refunded: int = 0,
    starts: dt.datetime = NOW - dt.timedelta(days=3),
    settled: bool = False,
    transaction_id: uuid.UUID | None = None,
) -> CapturedSale:
    return CapturedSale(
        tenant_id=TENANT,
        transaction_id=transaction_id or uuid.uuid4(),
        venue_id=VENUE,
        venue_amount=usd(amount),
        venue_refunded=usd(refunded),
        event_starts_at=starts,
        captured_at=starts - dt.timedelta(days=10),
        settled=settled,
    )


def moved(entry: JournalEntry) -> Counter[AccountKind]:
    totals: Counter[AccountKind] = Counter()
    for posting in entry.postings:
        totals[posting.account.kind] += posting.amount.minor
    return totals


def test_the_defaults_are_two_days_five_percent_for_ninety_days_ten_after_a_dispute() -> None:
    assert attrs.asdict(SettlementPolicy()) == {
        "delay_days": 2,
        "reserve_bps": 500,
        "reserve_hold_days": 90,
        "dispute_reserve_bps": 1000,
        "dispute_lookback_days": 90,
    }


def test_a_sale_settles_two_days_after_its_event_starts_not_a_second_earlier() -> None:
    starts = NOW - dt.timedelta(days=2)
    on_time = sale(10_000, starts=starts)
    early = sale(10_000, starts=starts + dt.timedelta(seconds=1))

    plans = plan_settlements([on_time, early], now=NOW, policy=POLICY, pending_balance=usd(20_000))

    assert [plan.sale for plan in plans] == [on_time]


def test_a_settled_sale_moves_95_percent_to_available_and_5_to_reserved() -> None:
    # given a $100 sale whose event started three days ago
    (plan,) = plan_settlements([sale(10_000)], now=NOW, policy=POLICY, pending_balance=usd(10_000))
    # then the entry takes it all from pending and holds $5
    assert plan.entry is not None
    assert moved(plan.entry) == {
        AccountKind.VENUE_PENDING: 10_000,
        AccountKind.VENUE_AVAILABLE: -9_500,
        AccountKind.VENUE_RESERVED: -500,
    }
    assert (plan.settled, plan.reserve, plan.reserve_bps) == (usd(10_000), usd(500), 500)
    assert plan.entry.kind == SALE_SETTLED_KIND
    assert plan.entry.reference_id == plan.sale.transaction_id


def test_the_reserve_rounds_half_up() -> None:
    (plan,) = plan_settlements([sale(10)], now=NOW, policy=POLICY, pending_balance=usd(10))
    assert plan.reserve == usd(1)  # 5% of 10 cents is 0.5 -> 1
    assert plan.to_available == usd(9)


def test_already_settled_sales_are_skipped_and_replanning_builds_the_same_entry() -> None:
    fresh = sale(10_000)
    first = plan_settlements([fresh], now=NOW, policy=POLICY, pending_balance=usd(10_000))
    again = plan_settlements([fresh], now=NOW, policy=POLICY, pending_balance=usd(10_000))
    done = plan_settlements(
        [attrs.evolve(fresh, settled=True)], now=NOW, policy=POLICY, pending_balance=usd(10_000)
    )

    assert first == again  # the same entry id: the database refuses the second
    assert done == ()


def test_only_what_is_left_after_refunds_settles() -> None:
    (plan,) = plan_settlements(
        [sale(10_000, refunded=4_000)], now=NOW, policy=POLICY, pending_balance=usd(6_000)
    )
    assert plan.settled == usd(6_000)
    assert plan.reserve == usd(300)


def test_a_fully_refunded_sale_is_settled_with_nothing_and_no_entry() -> None:
    (plan,) = plan_settlements(
        [sale(10_000, refunded=10_000)], now=NOW, policy=POLICY, pending_balance=usd(0)
    )
    assert (plan.settled, plan.reserve, plan.entry) == (usd(0), usd(0), None)


def test_settlement_never_takes_pending_below_zero_oldest_event_first() -> None:
    # given pending drained by a refund of another, already settled, sale
    older = sale(6_000, starts=NOW - dt.timedelta(days=9))
    newer = sale(6_000, starts=NOW - dt.timedelta(days=4))

    plans = plan_settlements([newer, older], now=NOW, policy=POLICY, pending_balance=usd(8_000))

    assert [(plan.sale, plan.settled) for plan in plans] == [
        (older, usd(6_000)),
        (newer, usd(2_000)),
    ]


@pytest.mark.parametrize(
    ("days_since_dispute", "expected_bps"),
    [(None, 500), (0, 1000), (90, 1000), (91, 500), (-1, 500)],
)
def test_a_dispute_in_the_last_90_days_doubles_the_reserve(
    days_since_dispute: int | None, expected_bps: int
) -> None:
    last = None if days_since_dispute is None else NOW - dt.timedelta(days=days_since_dispute)
    (plan,) = plan_settlements(
        [sale(10_000)], now=NOW, policy=POLICY, pending_balance=usd(10_000), last_dispute_at=last
    )
    assert plan.reserve_bps == expected_bps
    assert plan.reserve == usd(10_000 * expected_bps // 10_000)


def test_settlement_is_planned_for_one_venue_and_currency() -> None:
    other_venue = attrs.evolve(sale(100), venue_id=uuid.uuid4())
    with pytest.raises(LedgerError, match="per venue"):
        plan_settlements([sale(100), other_venue], now=NOW, policy=POLICY, pending_balance=usd(200))
    with pytest.raises(LedgerError, match="per currency"):
        plan_settlements([sale(100)], now=NOW, policy=POLICY, pending_balance=Money(100, EUR))


def test_times_must_carry_a_timezone() -> None:
    with pytest.raises(LedgerError, match="timezone"):
        sale(100, starts=dt.datetime(2026, 11, 20, 12, 0))  # noqa: DTZ001


def test_a_refund_cannot_exceed_the_sale() -> None:
    with pytest.raises(LedgerError):
        sale(100, refunded=101)


@given(
    sales=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**8),
            st.integers(min_value=0, max_value=100),  # percent refunded
            st.integers(min_value=0, max_value=30),  # days since the event started
        ),
        max_size=12,
    ),
    pending_shortfall=st.integers(min_value=-(10**6), max_value=10**9),
    reserve_bps=st.integers(min_value=0, max_value=10_000),
)
def test_every_cent_settled_is_either_available_or_reserved(
    sales: list[tuple[int, int, int]], pending_shortfall: int, reserve_bps: int
) -> None:
    # given a venue's sales, some partly refunded, and a pending balance that may be short
    captured = [
        sale(
            amount,
            refunded=amount * percent // 100,
            starts=NOW - dt.timedelta(days=days),
        )
        for amount, percent, days in sales
    ]
    unsettled = sum(s.unsettled.minor for s in captured)
    pending = unsettled - pending_shortfall
    policy = SettlementPolicy(reserve_bps=reserve_bps)

    plans = plan_settlements(captured, now=NOW, policy=policy, pending_balance=usd(pending))

    # then only due sales settle, never more than is left of each or than pending holds
    assert {plan.sale for plan in plans} == {
        s for s in captured if s.event_starts_at + dt.timedelta(days=2) <= NOW
    }
    assert sum(plan.settled.minor for plan in plans) <= max(pending, 0)
    for plan in plans:
        assert usd(0) <= plan.settled <= plan.sale.unsettled
        assert plan.reserve == percent_of(plan.settled, reserve_bps, Rounding.HALF_UP)
        assert plan.reserve + plan.to_available == plan.settled
        if plan.entry is None:
            assert plan.settled.is_zero
            continue
        expected = {
            AccountKind.VENUE_PENDING: plan.settled.minor,
            AccountKind.VENUE_AVAILABLE: -plan.to_available.minor,
            AccountKind.VENUE_RESERVED: -plan.reserve.minor,
        }
        assert moved(plan.entry) == {kind: minor for kind, minor in expected.items() if minor}
    # and when pending covers every due sale, each settles in full
    due_total = sum(plan.sale.unsettled.minor for plan in plans)
    if pending >= due_total:
        assert all(plan.settled == plan.sale.unsettled for plan in plans)


def test_a_reserve_is_released_ninety_days_after_settling_not_a_second_earlier() -> None:
    settled_at = NOW - dt.timedelta(days=90)
    due = HeldReserve(
        tenant_id=TENANT,
        transaction_id=uuid.uuid4(),
        venue_id=VENUE,
        amount=usd(500),
        settled_at=settled_at,
    )
    not_yet = attrs.evolve(
        due, transaction_id=uuid.uuid4(), settled_at=settled_at + dt.timedelta(seconds=1)
    )
    released = attrs.evolve(due, transaction_id=uuid.uuid4(), released=True)
    empty = attrs.evolve(due, transaction_id=uuid.uuid4(), amount=usd(0))

    (release,) = plan_reserve_releases([not_yet, released, empty, due], now=NOW, policy=POLICY)

    assert release.reserve == due
    assert release.entry.kind == RESERVE_RELEASED_KIND
    assert moved(release.entry) == {
        AccountKind.VENUE_RESERVED: 500,
        AccountKind.VENUE_AVAILABLE: -500,
    }
    assert plan_reserve_releases([due], now=NOW, policy=POLICY) == (release,)


@given(
    ticket=st.integers(min_value=1, max_value=10**8),
    reserve_bps=st.integers(min_value=0, max_value=10_000),
)
def test_capture_settle_release_leaves_the_whole_ticket_price_available(
    ticket: int, reserve_bps: int
) -> None:
    # given a captured sale
    capture = payment_captured_entry(
        entry_id=uuid.uuid4(),
        tenant_id=TENANT,
        transaction_id=uuid.uuid4(),
        venue_id=VENUE,
        currency=USD,
        ticket_price=usd(ticket),
        platform_fee=usd(ticket // 10),
        gas=usd(50),
        tax_lines=[("TN", usd(ticket // 14))],
        processing_cost=usd(30),
    )
    policy = SettlementPolicy(reserve_bps=reserve_bps)
    captured = sale(ticket, transaction_id=capture.reference_id)

    # when it settles and, 90 days later, its reserve is released
    (plan,) = plan_settlements([captured], now=NOW, policy=policy, pending_balance=usd(ticket))
    assert plan.entry is not None
    entries = [capture, plan.entry]
    reserve = HeldReserve(
        tenant_id=TENANT,
        transaction_id=captured.transaction_id,
        venue_id=VENUE,
        amount=plan.reserve,
        settled_at=NOW,
    )
    later = NOW + dt.timedelta(days=90)
    entries += [
        release.entry for release in plan_reserve_releases([reserve], now=later, policy=policy)
    ]

    # then the venue's balance is the ticket price, all of it available
    postings = [posting for entry in entries for posting in entry.postings]
    balance = VenueBalance.from_ledger(
        ACCOUNTS,
        pending=balance_of(ACCOUNTS.pending, postings),
        available=balance_of(ACCOUNTS.available, postings),
        reserved=balance_of(ACCOUNTS.reserved, postings),
    )
    assert (balance.pending, balance.available, balance.reserved) == (usd(0), usd(ticket), usd(0))


def test_a_settlement_entry_refuses_a_reserve_larger_than_what_settles() -> None:
    with pytest.raises(LedgerError):
        sale_settled_entry(
            tenant_id=TENANT,
            transaction_id=uuid.uuid4(),
            venue_id=VENUE,
            settled=usd(100),
            reserve=usd(101),
        )
