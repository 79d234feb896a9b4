"""A venue's balance comes from its ledger accounts and renders as the spec's JSON."""

from __future__ import annotations

import uuid

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_ledger import (
    AccountKind,
    AccountRef,
    LedgerError,
    Posting,
    VenueAccounts,
    VenueBalance,
    balance_of,
)
from tt_money import EUR, USD, Money

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")
ACCOUNTS = VenueAccounts.of(TENANT, VENUE, USD)


def usd(minor: int) -> Money:
    return Money(minor, USD)


def balance(*, pending: int, available: int, reserved: int) -> VenueBalance:
    return VenueBalance(
        venue_id=VENUE,
        currency=USD,
        pending=usd(pending),
        available=usd(available),
        reserved=usd(reserved),
    )


def test_the_accounts_are_the_venues_four_kinds() -> None:
    accounts = attrs.astuple(ACCOUNTS, recurse=False)
    assert [account.kind for account in accounts] == [
        AccountKind.VENUE_PENDING,
        AccountKind.VENUE_AVAILABLE,
        AccountKind.VENUE_RESERVED,
        AccountKind.VENUE_PAYOUT_IN_TRANSIT,
    ]
    assert {account.owner for account in accounts} == {str(VENUE)}


def test_the_spec_json_has_balance_and_payout_info_with_payable_equal_to_available() -> None:
    # given the spec example's amounts, the reserve held in its own account
    shown = balance(pending=15_000, available=50_000, reserved=5_000).to_spec_json()
    # then the fields are the spec's; payable is all of available (the reserve is
    # already outside it)
    assert shown == {
        "balance": {"available": 50_000, "pending": 15_000, "reserved": 5_000, "currency": "USD"},
        "payoutInfo": {"available": 50_000, "reserved": 5_000, "payable": 50_000},
    }


def test_an_overdrawn_available_balance_pays_out_nothing() -> None:
    overdrawn = balance(pending=0, available=-2_500, reserved=500)
    assert overdrawn.payable == usd(0)
    assert overdrawn.to_spec_json()["payoutInfo"]["payable"] == 0


@given(
    pending=st.integers(min_value=-(10**9), max_value=10**9),
    available=st.integers(min_value=-(10**9), max_value=10**9),
    reserved=st.integers(min_value=0, max_value=10**9),
)
def test_the_balance_is_each_accounts_credit_balance_from_the_postings(
    pending: int, available: int, reserved: int
) -> None:
    # given postings that credit each venue account by its amount against clearing
    clearing = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, USD)
    postings = [
        posting
        for account, amount in [
            (ACCOUNTS.pending, pending),
            (ACCOUNTS.available, available),
            (ACCOUNTS.reserved, reserved),
        ]
        if amount
        for posting in (
            Posting(account=account, amount=usd(-amount)),
            Posting(account=clearing, amount=usd(amount)),
        )
    ]
    # when the balance is read from the signed ledger balances
    read = VenueBalance.from_ledger(
        ACCOUNTS,
        pending=balance_of(ACCOUNTS.pending, postings),
        available=balance_of(ACCOUNTS.available, postings),
        reserved=balance_of(ACCOUNTS.reserved, postings),
    )
    # then it shows what the venue is owed in each
    assert read == balance(pending=pending, available=available, reserved=reserved)
    assert read.payable == usd(max(available, 0))


def test_every_amount_is_in_the_balances_currency() -> None:
    with pytest.raises(LedgerError):
        VenueBalance(
            venue_id=VENUE,
            currency=USD,
            pending=usd(0),
            available=Money(100, EUR),
            reserved=usd(0),
        )
