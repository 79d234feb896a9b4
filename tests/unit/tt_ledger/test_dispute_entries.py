"""A dispute holds the venue's money, then releases it (won) or pays it back (lost)."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_ledger import (
    AccountKind,
    AccountRef,
    dispute_lost_entry,
    dispute_opened_entry,
    dispute_reference,
    dispute_won_entry,
    venue_dispute_share,
)
from tt_ledger.errors import LedgerError
from tt_money import USD, Money

TENANT, VENUE = uuid.uuid4(), uuid.uuid4()
REFERENCE = dispute_reference(TENANT, "stripe", "dp_1")


def venue(kind: AccountKind) -> AccountRef:
    return AccountRef.venue(TENANT, kind, VENUE, USD)


def moved(entry_postings: object) -> dict[AccountKind, int]:
    totals: dict[AccountKind, int] = {}
    for posting in entry_postings:  # type: ignore[attr-defined]
        totals[posting.account.kind] = totals.get(posting.account.kind, 0) + posting.amount.minor
    return totals


@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    pending=st.integers(min_value=-1_000_000, max_value=10_000_000),
)
def test_opening_holds_exactly_the_disputed_amount_pending_first(amount: int, pending: int) -> None:
    entry = dispute_opened_entry(
        entry_id=uuid.uuid4(),
        tenant_id=TENANT,
        reference=REFERENCE,
        venue_id=VENUE,
        amount=Money(amount, USD),
        venue_pending_balance=Money(pending, USD),
    )
    totals = moved(entry.postings)
    from_pending = min(amount, max(pending, 0))
    assert totals.get(AccountKind.VENUE_RESERVED) == -amount
    assert totals.get(AccountKind.VENUE_PENDING, 0) == from_pending
    assert totals.get(AccountKind.VENUE_AVAILABLE, 0) == amount - from_pending
    assert sum(totals.values()) == 0


def test_won_releases_to_available_and_lost_returns_the_hold_to_pending() -> None:
    amount = Money(11895, USD)
    won = dispute_won_entry(
        entry_id=uuid.uuid4(), tenant_id=TENANT, reference=REFERENCE, venue_id=VENUE, amount=amount
    )
    lost = dispute_lost_entry(
        entry_id=uuid.uuid4(), tenant_id=TENANT, reference=REFERENCE, venue_id=VENUE, amount=amount
    )
    assert moved(won.postings) == {
        AccountKind.VENUE_RESERVED: 11895,
        AccountKind.VENUE_AVAILABLE: -11895,
    }
    assert moved(lost.postings) == {
        AccountKind.VENUE_RESERVED: 11895,
        AccountKind.VENUE_PENDING: -11895,
    }
    assert {won.kind, lost.kind} == {"dispute.won", "dispute.lost"}
    assert won.reference_id == lost.reference_id == REFERENCE


def test_a_dispute_of_nothing_is_refused() -> None:
    with pytest.raises(LedgerError, match="positive"):
        dispute_won_entry(
            entry_id=uuid.uuid4(),
            tenant_id=TENANT,
            reference=REFERENCE,
            venue_id=VENUE,
            amount=Money(0, USD),
        )


def test_the_reference_is_stable_per_tenant_provider_and_dispute() -> None:
    assert dispute_reference(TENANT, "stripe", "dp_1") == REFERENCE
    assert dispute_reference(uuid.uuid4(), "stripe", "dp_1") != REFERENCE
    assert dispute_reference(TENANT, "stripe", "dp_2") != REFERENCE


@given(
    ticket=st.integers(min_value=1, max_value=1_000_000),
    extra=st.integers(min_value=0, max_value=200_000),
    data=st.data(),
)
def test_the_venue_share_is_its_part_of_the_disputed_amount(
    ticket: int, extra: int, data: st.DataObject
) -> None:
    total = ticket + extra
    disputed = data.draw(st.integers(min_value=1, max_value=total))
    share = venue_dispute_share(
        Money(disputed, USD), ticket_price=Money(ticket, USD), total=Money(total, USD)
    )
    exact = Fraction(disputed * ticket, total)
    assert abs(share.minor - exact) < 1
    assert share.minor <= disputed
    if disputed == total:
        assert share.minor == ticket
