"""Properties of captures and refund sequences: the ledger always balances, and a payment
refunded in full leaves every party where it started except the processor's fee."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_ledger import (
    AccountKind,
    AccountRef,
    JournalEntry,
    Posting,
    RefundExceedsCaptureError,
    balance_of,
    normal_balance,
    payment_captured_entry,
    refund_entry,
)
from tt_money import USD, Money

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")
PENDING = AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
AVAILABLE = AccountRef.venue(TENANT, AccountKind.VENUE_AVAILABLE, VENUE, USD)
CLEARING = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, USD)
COST = AccountRef.platform(TENANT, AccountKind.PLATFORM_PROCESSING_COST, USD)
JURISDICTIONS = ("TN", "TN-DAVIDSON", "TN-NASHVILLE", "TN-SHELBY", "TN-MEMPHIS")


def usd(minor: int) -> Money:
    return Money(minor, USD)


@st.composite
def captures(draw: st.DrawFn) -> JournalEntry:
    ticket = draw(st.integers(min_value=1, max_value=10**7))
    fee = draw(st.integers(min_value=0, max_value=10**6))
    gas = draw(st.integers(min_value=0, max_value=10**4))
    taxes = draw(
        st.lists(
            st.tuples(st.sampled_from(JURISDICTIONS), st.integers(min_value=0, max_value=10**6)),
            max_size=4,
        )
    )
    total = ticket + fee + gas + sum(amount for _, amount in taxes)
    cost = draw(st.integers(min_value=0, max_value=total))
    return payment_captured_entry(
        entry_id=uuid.uuid4(),
        tenant_id=TENANT,
        transaction_id=uuid.uuid4(),
        venue_id=VENUE,
        currency=USD,
        ticket_price=usd(ticket),
        platform_fee=usd(fee),
        gas=usd(gas),
        tax_lines=[(code, usd(amount)) for code, amount in taxes],
        processing_cost=usd(cost),
    )


def net_per_currency(entry: JournalEntry) -> Counter[str]:
    net: Counter[str] = Counter()
    for posting in entry.postings:
        net[posting.amount.currency.code] += posting.amount.minor
    return net


def credited_accounts(entry: JournalEntry) -> set[AccountRef]:
    return {p.account for p in entry.postings if p.amount.is_negative}


def release(minor: int) -> JournalEntry:
    """The venue's pending money becoming available (what a settlement run posts)."""
    return JournalEntry(
        id=uuid.uuid4(),
        tenant_id=TENANT,
        kind="venue.released",
        reference_type="venue_release",
        reference_id=uuid.uuid4(),
        postings=(
            Posting(account=PENDING, amount=usd(minor)),
            Posting(account=AVAILABLE, amount=usd(-minor)),
        ),
    )


@given(paid=captures())
def test_a_capture_balances_and_clearing_plus_cost_is_what_the_buyer_paid(
    paid: JournalEntry,
) -> None:
    assert all(net == 0 for net in net_per_currency(paid).values())
    buyer_total = -sum(p.amount.minor for p in paid.postings if p.amount.is_negative)
    held = balance_of(CLEARING, paid.postings) + balance_of(COST, paid.postings)
    assert held == usd(buyer_total)
    assert all(not p.amount.is_zero for p in paid.postings)


@given(paid=captures(), data=st.data())
def test_any_sequence_of_refunds_balances_and_a_full_refund_zeroes_every_line(
    paid: JournalEntry, data: st.DataObject
) -> None:
    # given a capture, and a venue whose pending money may be released as refunds arrive
    lines = credited_accounts(paid) | {AVAILABLE}
    cost = balance_of(COST, paid.postings)
    total = -sum(p.amount.minor for p in paid.postings if p.amount.is_negative)
    track_pending = data.draw(st.booleans(), label="split the venue share by pending balance")
    postings = list(paid.postings)
    refunds: list[JournalEntry] = []
    left = total

    # when refunds of random sizes arrive, never more than is left in total
    amounts = data.draw(st.lists(st.integers(min_value=1, max_value=total), max_size=6))
    if data.draw(st.booleans(), label="refund the rest at the end"):
        amounts.append(total)
    for wanted in amounts:
        amount = min(wanted, left)
        if amount == 0:
            break
        pending_balance = None
        if track_pending:
            pending_now = normal_balance(PENDING, balance_of(PENDING, postings)).minor
            released = data.draw(st.integers(min_value=0, max_value=max(pending_now, 0)))
            if released:
                postings.extend(release(released).postings)
            pending_balance = normal_balance(PENDING, balance_of(PENDING, postings))
        refunded = refund_entry(
            entry_id=uuid.uuid4(),
            refund_id=uuid.uuid4(),
            capture=paid,
            earlier_refunds=refunds,
            refund_amount=usd(amount),
            venue_pending_balance=pending_balance,
        )
        refunds.append(refunded)
        postings.extend(refunded.postings)
        left -= amount

        # then each refund balances: one credit to clearing, debits on the capture's lines
        assert all(net == 0 for net in net_per_currency(refunded).values())
        assert [p for p in refunded.postings if p.amount.is_negative] == [
            Posting(account=CLEARING, amount=usd(-amount))
        ]
        assert all(p.account in lines for p in refunded.postings if p.amount.is_positive)
        # and no line ever gives back more than it received, nor pending more than it held
        for account in lines - {PENDING, AVAILABLE}:
            assert normal_balance(account, balance_of(account, postings)).minor >= 0
        venue = balance_of(PENDING, postings) + balance_of(AVAILABLE, postings)
        assert normal_balance(PENDING, venue).minor >= 0
        if track_pending:
            assert normal_balance(PENDING, balance_of(PENDING, postings)).minor >= 0
        # and the processing cost is never touched
        assert balance_of(COST, postings) == cost

    # then nothing more than what is left can be refunded
    with pytest.raises(RefundExceedsCaptureError):
        refund_entry(
            entry_id=uuid.uuid4(),
            refund_id=uuid.uuid4(),
            capture=paid,
            earlier_refunds=refunds,
            refund_amount=usd(left + 1),
        )
    # and clearing holds what the processor paid in less what went back to the buyer
    assert balance_of(CLEARING, postings) == usd(total) - cost - usd(total - left)
    # and once everything is refunded, venue, revenue, tax and gas are back to zero exactly
    if left == 0:
        for account in lines:
            assert balance_of(account, postings) == usd(0), account.kind
        assert balance_of(COST, postings) == cost
        assert balance_of(CLEARING, postings) == -cost
