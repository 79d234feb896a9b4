"""Accounts: each kind's normal side and owner, and the identity an AccountRef names."""

from __future__ import annotations

import uuid

import attrs
import pytest

from tt_ledger import PLATFORM_OWNER, AccountKind, AccountRef, LedgerError, Side
from tt_money import EUR, USD

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")

NORMAL_SIDES = {
    AccountKind.PROCESSOR_CLEARING: Side.DEBIT,
    AccountKind.PLATFORM_PROCESSING_COST: Side.DEBIT,
    AccountKind.VENUE_PENDING: Side.CREDIT,
    AccountKind.VENUE_AVAILABLE: Side.CREDIT,
    AccountKind.VENUE_RESERVED: Side.CREDIT,
    AccountKind.VENUE_PAYOUT_IN_TRANSIT: Side.CREDIT,
    AccountKind.PLATFORM_REVENUE: Side.CREDIT,
    AccountKind.TAX_PAYABLE: Side.CREDIT,
    AccountKind.CHAIN_FEE_RESERVE: Side.CREDIT,
    AccountKind.ESCROW: Side.CREDIT,
    AccountKind.REFUNDS_PAYABLE: Side.CREDIT,
}


def test_assets_and_expenses_are_debit_normal_everything_else_credit_normal() -> None:
    assert {kind: kind.normal_side for kind in AccountKind} == NORMAL_SIDES


def test_only_the_venue_balance_kinds_are_owned_by_a_venue() -> None:
    owned = {kind for kind in AccountKind if kind.venue_owned}
    assert owned == {
        AccountKind.VENUE_PENDING,
        AccountKind.VENUE_AVAILABLE,
        AccountKind.VENUE_RESERVED,
        AccountKind.VENUE_PAYOUT_IN_TRANSIT,
    }


def test_account_kind_values_are_the_stored_names() -> None:
    assert {kind.value for kind in AccountKind} == {
        "processor_clearing",
        "venue_pending",
        "venue_available",
        "venue_reserved",
        "venue_payout_in_transit",
        "platform_revenue",
        "platform_processing_cost",
        "tax_payable",
        "chain_fee_reserve",
        "escrow",
        "refunds_payable",
    }


def test_helpers_build_the_owner_each_kind_expects() -> None:
    # given the three helper constructors
    revenue = AccountRef.platform(TENANT, AccountKind.PLATFORM_REVENUE, USD)
    pending = AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
    tax = AccountRef.tax(TENANT, "TN-DAVIDSON", USD)
    # then each names its owner the way the ledger stores it
    assert revenue.owner == PLATFORM_OWNER == "platform"
    assert pending.owner == "6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b"
    assert (tax.kind, tax.owner) == (AccountKind.TAX_PAYABLE, "TN-DAVIDSON")
    assert pending.normal_side is Side.CREDIT


def test_an_account_is_identified_by_tenant_kind_owner_and_currency() -> None:
    usd = AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
    assert usd == AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
    assert len({usd, AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)}) == 1
    assert usd != AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, EUR)
    assert usd != AccountRef.venue(TENANT, AccountKind.VENUE_AVAILABLE, VENUE, USD)
    assert usd != AccountRef.venue(uuid.uuid4(), AccountKind.VENUE_PENDING, VENUE, USD)


def test_an_account_ref_cannot_be_changed_in_place() -> None:
    account = AccountRef.platform(TENANT, AccountKind.PLATFORM_REVENUE, USD)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        account.owner = "someone"  # type: ignore[misc]


@pytest.mark.parametrize(
    "owner",
    [
        "",
        "not-a-uuid",
        "platform",
        # the same venue in another spelling would be a second account
        "6F1C8A52-3F7E-4D2A-9B1E-2C4D5E6F7A8B",
        "6f1c8a523f7e4d2a9b1e2c4d5e6f7a8b",
    ],
)
def test_a_venue_account_is_owned_by_a_canonical_venue_uuid(owner: str) -> None:
    with pytest.raises(LedgerError):
        AccountRef(tenant_id=TENANT, kind=AccountKind.VENUE_AVAILABLE, owner=owner, currency=USD)


@pytest.mark.parametrize("owner", ["", "tn", "TN-davidson", "TN DAVIDSON", "-TN", "T" * 65])
def test_a_tax_account_is_owned_by_an_upper_case_jurisdiction_code(owner: str) -> None:
    with pytest.raises(LedgerError):
        AccountRef.tax(TENANT, owner, USD)


def test_an_owner_is_one_to_sixty_four_characters() -> None:
    assert (
        AccountRef(tenant_id=TENANT, kind=AccountKind.ESCROW, owner="x" * 64, currency=USD).owner
        == "x" * 64
    )
    for owner in ("", "x" * 65):
        with pytest.raises(LedgerError):
            AccountRef(tenant_id=TENANT, kind=AccountKind.ESCROW, owner=owner, currency=USD)


@pytest.mark.parametrize(
    "kind", [AccountKind.VENUE_PENDING, AccountKind.VENUE_RESERVED, AccountKind.TAX_PAYABLE]
)
def test_venue_and_tax_accounts_are_not_the_platforms(kind: AccountKind) -> None:
    with pytest.raises(LedgerError):
        AccountRef.platform(TENANT, kind, USD)


def test_a_platform_kind_is_not_a_venues() -> None:
    with pytest.raises(LedgerError):
        AccountRef.venue(TENANT, AccountKind.PLATFORM_REVENUE, VENUE, USD)
