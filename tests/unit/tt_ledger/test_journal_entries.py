"""Journal entries: balanced per currency, in one tenant, immutable, corrected by reversal."""

from __future__ import annotations

import uuid

import attrs
import pytest

from tt_ledger import (
    AccountKind,
    AccountRef,
    JournalEntry,
    LedgerError,
    Posting,
    Side,
    UnbalancedEntryError,
    balance_of,
    normal_balance,
)
from tt_money import EUR, USD, Money

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_TENANT = uuid.UUID("00000000-0000-4000-8000-000000000002")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")

CLEARING = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, USD)
REVENUE = AccountRef.platform(TENANT, AccountKind.PLATFORM_REVENUE, USD)
VENUE_PENDING = AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
EUR_CLEARING = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, EUR)
EUR_REVENUE = AccountRef.platform(TENANT, AccountKind.PLATFORM_REVENUE, EUR)


def post(account: AccountRef, minor: int) -> Posting:
    return Posting(account=account, amount=Money(minor, account.currency))


def entry(*postings: Posting, tenant_id: uuid.UUID = TENANT) -> JournalEntry:
    return JournalEntry(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        kind="payment.captured",
        reference_type="payment_transaction",
        reference_id=uuid.uuid4(),
        postings=postings,
    )


def test_a_positive_posting_is_a_debit_and_a_negative_one_a_credit() -> None:
    assert post(CLEARING, 100).side is Side.DEBIT
    assert post(REVENUE, -100).side is Side.CREDIT


def test_a_balanced_entry_is_accepted_as_given() -> None:
    postings = (post(CLEARING, 1100), post(VENUE_PENDING, -1000), post(REVENUE, -100))
    assert entry(*postings).postings == postings


def test_an_entry_whose_postings_do_not_sum_to_zero_is_refused() -> None:
    with pytest.raises(UnbalancedEntryError) as raised:
        entry(post(CLEARING, 1100), post(VENUE_PENDING, -1000), post(REVENUE, -99))
    assert raised.value.code == "UNBALANCED_ENTRY"
    assert "'USD': 1" in raised.value.message


def test_an_entry_balances_in_each_currency_separately() -> None:
    # given an entry that is balanced per currency
    balanced = entry(
        post(CLEARING, 100), post(REVENUE, -100), post(EUR_CLEARING, 90), post(EUR_REVENUE, -90)
    )
    assert len(balanced.postings) == 4
    # when debits in one currency are met by credits in another, it is refused
    with pytest.raises(UnbalancedEntryError):
        entry(post(CLEARING, 100), post(REVENUE, -50), post(EUR_REVENUE, -50))


def test_an_entry_of_one_posting_is_refused() -> None:
    with pytest.raises(LedgerError, match="at least two postings"):
        entry(post(CLEARING, 100))


def test_an_entry_posting_to_another_tenants_account_is_refused() -> None:
    foreign = AccountRef.platform(OTHER_TENANT, AccountKind.PLATFORM_REVENUE, USD)
    with pytest.raises(LedgerError, match="tenant"):
        entry(post(CLEARING, 100), post(foreign, -100))


def test_a_zero_posting_is_refused() -> None:
    with pytest.raises(LedgerError, match="zero"):
        post(CLEARING, 0)


def test_a_posting_in_another_currency_than_its_account_is_refused() -> None:
    with pytest.raises(LedgerError, match="EUR posting on a USD"):
        Posting(account=CLEARING, amount=Money(100, EUR))


def test_postings_are_a_tuple_so_an_entry_cannot_change_after_the_check() -> None:
    with pytest.raises(TypeError):
        JournalEntry(
            id=uuid.uuid4(),
            tenant_id=TENANT,
            kind="payment.captured",
            reference_type="payment_transaction",
            reference_id=uuid.uuid4(),
            postings=[post(CLEARING, 100), post(REVENUE, -100)],  # type: ignore[arg-type]
        )


def test_an_entry_must_say_what_it_is_and_what_it_records() -> None:
    with pytest.raises(LedgerError, match="kind"):
        attrs.evolve(entry(post(CLEARING, 100), post(REVENUE, -100)), kind="")


def test_a_recorded_entry_cannot_be_changed_in_place() -> None:
    recorded = entry(post(CLEARING, 100), post(REVENUE, -100))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        recorded.postings = ()  # type: ignore[misc]


def test_a_reversal_is_a_new_entry_that_cancels_the_original() -> None:
    # given a recorded entry
    original = entry(post(CLEARING, 1100), post(VENUE_PENDING, -1000), post(REVENUE, -100))
    # when it is reversed
    correction_id = uuid.uuid4()
    reversal = original.reversal(
        id=correction_id, kind="correction", description=f"reverses {original.id}"
    )
    # then the reversal negates every posting and records the same thing
    assert reversal.id == correction_id
    assert (reversal.kind, reversal.description) == ("correction", f"reverses {original.id}")
    assert (reversal.reference_type, reversal.reference_id) == (
        original.reference_type,
        original.reference_id,
    )
    assert [p.amount.minor for p in reversal.postings] == [-1100, 1000, 100]
    # and together they leave every account where it was
    both = original.postings + reversal.postings
    for account in (CLEARING, VENUE_PENDING, REVENUE):
        assert balance_of(account, both) == Money(0, USD)
    assert [p.amount.minor for p in original.postings] == [1100, -1000, -100]


def test_balance_of_sums_one_accounts_postings_debit_positive() -> None:
    postings = [
        *entry(post(CLEARING, 1100), post(VENUE_PENDING, -1000), post(REVENUE, -100)).postings,
        *entry(post(VENUE_PENDING, 400), post(CLEARING, -400)).postings,
    ]
    assert balance_of(CLEARING, postings) == Money(700, USD)
    assert balance_of(VENUE_PENDING, postings) == Money(-600, USD)
    assert balance_of(EUR_REVENUE, postings) == Money(0, EUR)


def test_normal_balance_shows_what_a_credit_normal_account_is_owed() -> None:
    # a venue credited $100 is owed $100; the processor, debited, holds it
    assert normal_balance(VENUE_PENDING, Money(-10000, USD)) == Money(10000, USD)
    assert normal_balance(CLEARING, Money(10000, USD)) == Money(10000, USD)
    # an overdrawn venue shows a negative balance
    assert normal_balance(VENUE_PENDING, Money(500, USD)) == Money(-500, USD)


def test_normal_balance_refuses_a_balance_in_another_currency() -> None:
    with pytest.raises(LedgerError):
        normal_balance(VENUE_PENDING, Money(100, EUR))
