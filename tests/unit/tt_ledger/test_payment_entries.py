"""The entries the payment core posts: a captured payment, and refunds of it line by line."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    PAYMENT_REFUND_REFERENCE,
    PAYMENT_TRANSACTION_REFERENCE,
    REFUND_COMPLETED_KIND,
    AccountKind,
    AccountRef,
    JournalEntry,
    LedgerError,
    Posting,
    RefundExceedsCaptureError,
    balance_of,
    payment_captured_entry,
    refund_entry,
    split_venue_debit,
)
from tt_money import EUR, USD, InvalidInputError, Money

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")
TRANSACTION = uuid.UUID("7d2f0a8e-1b3c-4e5f-8a9b-0c1d2e3f4a5b")
OTHER_VENUE = uuid.UUID("0b5e7c3a-9d1f-4a6b-8c2e-4f6a8b0c2d4e")
PENDING = AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)
AVAILABLE = AccountRef.venue(TENANT, AccountKind.VENUE_AVAILABLE, VENUE, USD)
CLEARING = AccountRef.platform(TENANT, AccountKind.PROCESSOR_CLEARING, USD)
COST = AccountRef.platform(TENANT, AccountKind.PLATFORM_PROCESSING_COST, USD)
NASHVILLE_TAXES = (("TN", 700), ("TN-DAVIDSON", 225), ("TN-NASHVILLE", 100))


def usd(minor: int) -> Money:
    return Money(minor, USD)


def capture(
    *,
    venue_id: uuid.UUID = VENUE,
    ticket: int = 10000,
    fee: int = 820,
    gas: int = 50,
    taxes: Sequence[tuple[str, int]] = NASHVILLE_TAXES,
    cost: int = 375,
) -> JournalEntry:
    return payment_captured_entry(
        entry_id=uuid.uuid4(),
        tenant_id=TENANT,
        transaction_id=TRANSACTION,
        venue_id=venue_id,
        currency=USD,
        ticket_price=usd(ticket),
        platform_fee=usd(fee),
        gas=usd(gas),
        tax_lines=[(code, usd(amount)) for code, amount in taxes],
        processing_cost=usd(cost),
    )


def refund(
    of: JournalEntry,
    minor: int,
    *,
    earlier: Sequence[JournalEntry] = (),
    venue_pending_balance: Money | None = None,
) -> JournalEntry:
    return refund_entry(
        entry_id=uuid.uuid4(),
        refund_id=uuid.uuid4(),
        capture=of,
        earlier_refunds=earlier,
        refund_amount=usd(minor),
        venue_pending_balance=venue_pending_balance,
    )


def lines(entry: JournalEntry) -> list[tuple[AccountKind, str, int]]:
    return [(p.account.kind, p.account.owner, p.amount.minor) for p in entry.postings]


def test_the_worked_nashville_capture_posts_every_line_of_the_buyers_total() -> None:
    # given a $100 ticket, 8.2% fee, 50c gas, Nashville taxes and 2.9% + 30c card cost
    # when the capture is recorded
    entry = capture()
    # then clearing holds the total (11895) less the processor's 375, and each party is owed
    assert lines(entry) == [
        (AccountKind.PROCESSOR_CLEARING, "platform", 11520),
        (AccountKind.PLATFORM_PROCESSING_COST, "platform", 375),
        (AccountKind.VENUE_PENDING, str(VENUE), -10000),
        (AccountKind.PLATFORM_REVENUE, "platform", -820),
        (AccountKind.TAX_PAYABLE, "TN", -700),
        (AccountKind.TAX_PAYABLE, "TN-DAVIDSON", -225),
        (AccountKind.TAX_PAYABLE, "TN-NASHVILLE", -100),
        (AccountKind.CHAIN_FEE_RESERVE, "platform", -50),
    ]
    assert sum(p.amount.minor for p in entry.postings) == 0


def test_the_capture_records_the_payment_transaction_in_the_tenants_ledger() -> None:
    entry = capture()
    assert (entry.tenant_id, entry.kind) == (TENANT, PAYMENT_CAPTURED_KIND)
    assert (entry.reference_type, entry.reference_id) == (
        PAYMENT_TRANSACTION_REFERENCE,
        TRANSACTION,
    )
    assert {p.account.currency for p in entry.postings} == {USD}


def test_zero_amounts_post_nothing() -> None:
    # given no gas, no processing cost and a zero tax line
    entry = capture(gas=0, cost=0, taxes=[("TN", 700), ("TN-DAVIDSON", 0)])
    # then only the non-zero lines are posted
    assert lines(entry) == [
        (AccountKind.PROCESSOR_CLEARING, "platform", 11520),
        (AccountKind.VENUE_PENDING, str(VENUE), -10000),
        (AccountKind.PLATFORM_REVENUE, "platform", -820),
        (AccountKind.TAX_PAYABLE, "TN", -700),
    ]


def test_the_venue_account_is_the_venues_pending_balance() -> None:
    venue_line = capture().postings[2]
    assert venue_line.account == AccountRef.venue(TENANT, AccountKind.VENUE_PENDING, VENUE, USD)


@pytest.mark.parametrize(
    "bad",
    [
        {"ticket": -1},
        {"fee": -820},
        {"gas": -50},
        {"cost": -375},
        {"taxes": [("TN", -700)]},
    ],
)
def test_a_negative_amount_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(LedgerError, match="negative"):
        capture(**bad)  # type: ignore[arg-type]


def test_an_amount_in_another_currency_is_refused() -> None:
    with pytest.raises(LedgerError, match="EUR"):
        payment_captured_entry(
            entry_id=uuid.uuid4(),
            tenant_id=TENANT,
            transaction_id=TRANSACTION,
            venue_id=VENUE,
            currency=USD,
            ticket_price=usd(10000),
            platform_fee=Money(820, EUR),
            gas=usd(50),
            tax_lines=[],
            processing_cost=usd(375),
        )


def test_a_payment_of_nothing_is_refused() -> None:
    with pytest.raises(LedgerError, match="takes money"):
        capture(ticket=0, fee=0, gas=0, taxes=[], cost=0)


def test_a_processing_cost_above_the_payment_is_refused() -> None:
    with pytest.raises(LedgerError, match="processing cost"):
        capture(ticket=100, fee=0, gas=0, taxes=[], cost=101)


def test_a_malformed_jurisdiction_is_refused() -> None:
    with pytest.raises(LedgerError, match="jurisdiction"):
        capture(taxes=[("tn", 700)])


def test_a_full_refund_reverses_every_credit_line_and_keeps_the_processing_cost() -> None:
    # given the worked Nashville capture (buyer paid 11895, processor kept 375)
    paid = capture()
    # when the whole payment is refunded
    refunded = refund(paid, 11895)
    # then every party gives back exactly what it got and the buyer gets the total back
    assert lines(refunded) == [
        (AccountKind.VENUE_PENDING, str(VENUE), 10000),
        (AccountKind.PLATFORM_REVENUE, "platform", 820),
        (AccountKind.TAX_PAYABLE, "TN", 700),
        (AccountKind.TAX_PAYABLE, "TN-DAVIDSON", 225),
        (AccountKind.TAX_PAYABLE, "TN-NASHVILLE", 100),
        (AccountKind.CHAIN_FEE_RESERVE, "platform", 50),
        (AccountKind.PROCESSOR_CLEARING, "platform", -11895),
    ]
    # and the processor's fee stays a cost, leaving clearing short by exactly that fee
    both = paid.postings + refunded.postings
    assert balance_of(COST, both) == usd(375)
    assert balance_of(CLEARING, both) == usd(-375)


def test_a_partial_refund_is_split_pro_rata_by_largest_remainder() -> None:
    # given the worked capture, when $50 of 118.95 is refunded
    refunded = refund(capture(), 5000)
    # then each line gives back its share, the two largest remainders taking the spare cents
    assert lines(refunded) == [
        (AccountKind.VENUE_PENDING, str(VENUE), 4203),  # 4203.45
        (AccountKind.PLATFORM_REVENUE, "platform", 345),  # 344.68
        (AccountKind.TAX_PAYABLE, "TN", 294),  # 294.24
        (AccountKind.TAX_PAYABLE, "TN-DAVIDSON", 95),  # 94.58
        (AccountKind.TAX_PAYABLE, "TN-NASHVILLE", 42),  # 42.03
        (AccountKind.CHAIN_FEE_RESERVE, "platform", 21),  # 21.02
        (AccountKind.PROCESSOR_CLEARING, "platform", -5000),
    ]


def test_the_refund_entry_records_the_refund_in_the_captures_tenant() -> None:
    paid = capture()
    refund_id = uuid.uuid4()
    refunded = refund_entry(
        entry_id=uuid.uuid4(),
        refund_id=refund_id,
        capture=paid,
        earlier_refunds=[],
        refund_amount=usd(100),
    )
    assert (refunded.tenant_id, refunded.kind) == (TENANT, REFUND_COMPLETED_KIND)
    assert (refunded.reference_type, refunded.reference_id) == (PAYMENT_REFUND_REFERENCE, refund_id)
    assert str(paid.reference_id) in refunded.description


def test_later_refunds_split_what_is_left_so_small_refunds_do_not_overdraw_a_line() -> None:
    # given a 2-cent payment: 1c to the venue, 1c platform fee
    paid = capture(ticket=1, fee=1, gas=0, taxes=[], cost=0)
    # when it is refunded one cent at a time
    first = refund(paid, 1)
    second = refund(paid, 1, earlier=[first])
    # then the second cent comes from the line the first one left alone
    assert lines(first)[0] == (AccountKind.VENUE_PENDING, str(VENUE), 1)
    assert lines(second)[0] == (AccountKind.PLATFORM_REVENUE, "platform", 1)


def test_a_refund_above_what_is_left_is_refused_with_the_specs_code() -> None:
    # given a capture of 11895 of which 10000 was refunded already
    paid = capture()
    earlier = refund(paid, 10000)
    # when 1896 more is asked for, it is refused; 1895 is still allowed
    with pytest.raises(RefundExceedsCaptureError) as raised:
        refund(paid, 1896, earlier=[earlier])
    assert raised.value.code == "REFUND_EXCEEDS_ORIGINAL"
    assert raised.value.details == (("amount", "at most 1895"),)
    assert refund(paid, 1895, earlier=[earlier]).postings[-1].amount == usd(-1895)


def test_a_refund_of_more_than_the_whole_payment_is_refused() -> None:
    with pytest.raises(RefundExceedsCaptureError):
        refund(capture(), 11896)


@pytest.mark.parametrize("minor", [0, -100])
def test_a_refund_must_be_positive(minor: int) -> None:
    with pytest.raises(InvalidInputError) as raised:
        refund(capture(), minor)
    assert raised.value.code == "VALIDATION_ERROR"


def test_a_refund_in_another_currency_than_the_capture_is_refused() -> None:
    with pytest.raises(LedgerError, match="EUR"):
        refund_entry(
            entry_id=uuid.uuid4(),
            refund_id=uuid.uuid4(),
            capture=capture(),
            earlier_refunds=[],
            refund_amount=Money(100, EUR),
        )


def test_only_a_capture_entry_can_be_refunded() -> None:
    paid = capture()
    with pytest.raises(LedgerError, match=r"payment\.captured"):
        refund(refund(paid, 100), 50)


def test_an_earlier_refund_listed_twice_is_refused() -> None:
    paid = capture()
    earlier = refund(paid, 100)
    with pytest.raises(LedgerError, match="twice"):
        refund(paid, 100, earlier=[earlier, earlier])


def test_an_earlier_refund_of_another_venues_payment_is_refused() -> None:
    other = capture(venue_id=OTHER_VENUE)
    with pytest.raises(LedgerError, match="venue_pending"):
        refund(capture(), 100, earlier=[refund(other, 11000)])


def test_an_earlier_entry_that_is_not_a_refund_is_refused() -> None:
    paid = capture()
    with pytest.raises(LedgerError, match="not a refund"):
        refund(paid, 100, earlier=[paid])


def test_the_venue_share_comes_from_pending_first_then_available() -> None:
    # given the venue's pending balance holds only $30 when $50 is refunded
    refunded = refund(capture(), 5000, venue_pending_balance=usd(3000))
    # then its 4203 share is 3000 from pending and 1203 from available
    assert lines(refunded)[:2] == [
        (AccountKind.VENUE_PENDING, str(VENUE), 3000),
        (AccountKind.VENUE_AVAILABLE, str(VENUE), 1203),
    ]
    assert sum(p.amount.minor for p in refunded.postings) == 0


def test_the_venue_share_comes_from_available_alone_once_pending_is_empty() -> None:
    refunded = refund(capture(), 5000, venue_pending_balance=usd(0))
    assert lines(refunded)[0] == (AccountKind.VENUE_AVAILABLE, str(VENUE), 4203)


def test_earlier_refunds_from_available_still_count_against_the_venue_share() -> None:
    # given 5000 refunded with the venue's share taken from available
    paid = capture()
    earlier = refund(paid, 5000, venue_pending_balance=usd(0))
    # when the rest is refunded
    rest = refund(paid, 6895, earlier=[earlier])
    # then the venue gives back exactly what is left of its 10000
    assert lines(rest)[0] == (AccountKind.VENUE_PENDING, str(VENUE), 10000 - 4203)


@pytest.mark.parametrize(
    ("share", "pending", "expected"),
    [
        (4000, 10000, [(PENDING, 4000)]),
        (4000, 4000, [(PENDING, 4000)]),
        (4000, 1500, [(PENDING, 1500), (AVAILABLE, 2500)]),
        (4000, 0, [(AVAILABLE, 4000)]),
        (4000, -700, [(AVAILABLE, 4000)]),
        (0, 1500, []),
    ],
)
def test_split_venue_debit_takes_pending_up_to_its_balance_then_available(
    share: int, pending: int, expected: list[tuple[AccountRef, int]]
) -> None:
    split = split_venue_debit(
        usd(share),
        pending_balance=usd(pending),
        pending_account=PENDING,
        available_account=AVAILABLE,
    )
    assert split == tuple((account, usd(minor)) for account, minor in expected)


@pytest.mark.parametrize(
    ("pending_account", "available_account"),
    [
        (AVAILABLE, PENDING),
        (PENDING, AccountRef.venue(TENANT, AccountKind.VENUE_AVAILABLE, OTHER_VENUE, USD)),
        (PENDING, AccountRef.venue(TENANT, AccountKind.VENUE_RESERVED, VENUE, USD)),
    ],
)
def test_split_venue_debit_refuses_accounts_that_are_not_one_venues_pair(
    pending_account: AccountRef, available_account: AccountRef
) -> None:
    with pytest.raises(LedgerError):
        split_venue_debit(
            usd(100),
            pending_balance=usd(0),
            pending_account=pending_account,
            available_account=available_account,
        )


def test_split_venue_debit_refuses_a_negative_share() -> None:
    with pytest.raises(LedgerError, match="negative"):
        split_venue_debit(
            usd(-1), pending_balance=usd(0), pending_account=PENDING, available_account=AVAILABLE
        )


def test_refund_postings_are_debits_on_lines_and_one_credit_on_clearing() -> None:
    refunded = refund(capture(), 5000, venue_pending_balance=usd(3000))
    credits = [p for p in refunded.postings if p.amount.is_negative]
    assert credits == [Posting(account=CLEARING, amount=usd(-5000))]
    assert all(p.account != COST for p in refunded.postings)
