"""The journal entries the payment core posts: a captured payment and a completed refund.

Each function only builds the entry. The caller records it in the same database
transaction as the change it accounts for (the payment's final state, the refund's
completion), and the database allows one entry of a kind per thing it records
(``ledger_entries_reference_key``), so a retry can never post twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import attrs

from tt_ledger.accounts import AccountKind, AccountRef
from tt_ledger.errors import LedgerError, RefundExceedsCaptureError
from tt_ledger.journal import JournalEntry, non_zero_postings
from tt_money.allocation import allocate
from tt_money.currency import Currency
from tt_money.errors import InvalidInputError
from tt_money.money import Money, sum_money

__all__ = [
    "PAYMENT_CAPTURED_KIND",
    "PAYMENT_REFUND_REFERENCE",
    "PAYMENT_TRANSACTION_REFERENCE",
    "REFUND_COMPLETED_KIND",
    "payment_captured_entry",
    "refund_entry",
    "split_venue_debit",
]

PAYMENT_CAPTURED_KIND = "payment.captured"
REFUND_COMPLETED_KIND = "refund.completed"
PAYMENT_TRANSACTION_REFERENCE = "payment_transaction"
"""``reference_type`` of a capture entry; its ``reference_id`` is the transaction's id."""
PAYMENT_REFUND_REFERENCE = "payment_refund"
"""``reference_type`` of a refund entry; its ``reference_id`` is the refund's id."""


def _require_amount(amount: Money, currency: Currency, name: str) -> Money:
    if not isinstance(amount, Money):
        raise TypeError(f"{name} must be Money, not {type(amount).__name__}")
    if amount.currency != currency:
        raise LedgerError(f"{name} is in {amount.currency.code}; the entry is in {currency.code}")
    if amount.is_negative:
        raise LedgerError(f"{name} must not be negative, not {amount}")
    return amount


def payment_captured_entry(
    *,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID,
    transaction_id: uuid.UUID,
    venue_id: uuid.UUID,
    currency: Currency,
    ticket_price: Money,
    platform_fee: Money,
    gas: Money,
    tax_lines: Sequence[tuple[str, Money]],
    processing_cost: Money,
) -> JournalEntry:
    """The entry for a captured card payment of ``total`` = ticket + fee + gas + taxes.

    Moves, in ``currency``:

    - Dr processor clearing: ``total - processing_cost``, what the processor holds for us;
    - Dr platform processing cost: ``processing_cost``, what the processor kept;
    - Cr venue pending (``venue_id``): ``ticket_price``, owed to the venue;
    - Cr platform revenue: ``platform_fee``;
    - Cr tax payable, one per ``(jurisdiction, amount)`` of ``tax_lines``;
    - Cr chain fee reserve: ``gas``, to pay for minting.

    Zero amounts post nothing. Every amount must be in ``currency`` and not negative, the
    total positive and ``processing_cost`` at most the total (``LedgerError``). The entry is
    a ``payment.captured`` of the ``payment_transaction`` ``transaction_id``. Pure: it
    builds the entry; money moves when the caller records it, with the payment's final
    state, once per transaction (the database refuses a second capture entry).
    """
    for name, amount in [
        ("ticket_price", ticket_price),
        ("platform_fee", platform_fee),
        ("gas", gas),
        ("processing_cost", processing_cost),
        *((f"tax_lines[{jurisdiction!r}]", amount) for jurisdiction, amount in tax_lines),
    ]:
        _require_amount(amount, currency, name)
    taxes = [(AccountRef.tax(tenant_id, code, currency), amount) for code, amount in tax_lines]
    total = sum_money((ticket_price, platform_fee, gas, *(a for _, a in taxes)), currency)
    if not total.is_positive:
        raise LedgerError(f"a captured payment takes money, not {total}")
    if processing_cost > total:
        raise LedgerError(f"processing cost {processing_cost} exceeds the payment's {total}")

    def platform(kind: AccountKind) -> AccountRef:
        return AccountRef.platform(tenant_id, kind, currency)

    venue_pending = AccountRef.venue(tenant_id, AccountKind.VENUE_PENDING, venue_id, currency)
    return JournalEntry(
        id=entry_id,
        tenant_id=tenant_id,
        kind=PAYMENT_CAPTURED_KIND,
        reference_type=PAYMENT_TRANSACTION_REFERENCE,
        reference_id=transaction_id,
        postings=non_zero_postings(
            [
                (platform(AccountKind.PROCESSOR_CLEARING), total - processing_cost),
                (platform(AccountKind.PLATFORM_PROCESSING_COST), processing_cost),
                (venue_pending, -ticket_price),
                (platform(AccountKind.PLATFORM_REVENUE), -platform_fee),
                *((account, -amount) for account, amount in taxes),
                (platform(AccountKind.CHAIN_FEE_RESERVE), -gas),
            ]
        ),
        description=f"capture of payment transaction {transaction_id}",
    )


def split_venue_debit(
    share: Money,
    *,
    pending_balance: Money,
    pending_account: AccountRef,
    available_account: AccountRef,
) -> tuple[tuple[AccountRef, Money], ...]:
    """Where a venue's ``share`` of a refund is taken from: ``(account, amount to debit)``.

    Pending first, up to ``pending_balance`` (its normal balance, what the venue is owed
    there; nothing when it is zero or negative); the rest from available, which may go
    negative. Zero amounts are left out. Both accounts must be the same venue's pending
    and available accounts (``LedgerError``). Pure: computes, moves nothing.
    """
    currency = pending_account.currency
    _require_amount(share, currency, "share")
    if pending_balance.currency != currency:
        raise LedgerError(f"pending_balance is in {pending_balance.currency.code}, not {currency}")
    if (
        pending_account.kind is not AccountKind.VENUE_PENDING
        or attrs.evolve(pending_account, kind=AccountKind.VENUE_AVAILABLE) != available_account
    ):
        raise LedgerError(
            "a venue's share comes from its own pending and available accounts, "
            f"not {pending_account} and {available_account}"
        )
    from_pending = min(share, max(pending_balance, Money.zero(currency)))
    parts = ((pending_account, from_pending), (available_account, share - from_pending))
    return tuple((account, amount) for account, amount in parts if not amount.is_zero)


def _line_key(account: AccountRef) -> AccountRef:
    # A venue's share is one line however its refunds split it over the venue's accounts.
    if account.kind.venue_owned:
        return attrs.evolve(account, kind=AccountKind.VENUE_PENDING)
    return account


def _refundable_lines(
    capture: JournalEntry, earlier_refunds: Iterable[JournalEntry]
) -> tuple[Currency, dict[AccountRef, Money]]:
    """The capture's currency, and what is left to refund of each of its credit lines."""
    if capture.kind != PAYMENT_CAPTURED_KIND:
        raise LedgerError(f"refunds reverse a {PAYMENT_CAPTURED_KIND} entry, not {capture.kind}")
    currencies = {posting.amount.currency for posting in capture.postings}
    if len(currencies) != 1:
        raise LedgerError(f"capture {capture.id} is in more than one currency")
    (currency,) = currencies

    remaining: dict[AccountRef, Money] = {}
    for posting in capture.postings:
        if posting.amount.is_negative:
            key = _line_key(posting.account)
            remaining[key] = remaining.get(key, Money.zero(currency)) - posting.amount

    seen: set[uuid.UUID] = set()
    for refund in earlier_refunds:
        if refund.kind != REFUND_COMPLETED_KIND or refund.tenant_id != capture.tenant_id:
            raise LedgerError(f"entry {refund.id} is not a refund of capture {capture.id}")
        if refund.id in seen:
            raise LedgerError(f"refund entry {refund.id} is listed twice")
        seen.add(refund.id)
        for posting in refund.postings:
            if not posting.amount.is_positive:
                continue
            key = _line_key(posting.account)
            left = remaining.get(key)
            if left is None or posting.amount > left:
                raise LedgerError(
                    f"refund entry {refund.id} takes more from {key.kind.value} "
                    f"than capture {capture.id} put there"
                )
            remaining[key] = left - posting.amount
    return currency, remaining


def refund_entry(
    *,
    entry_id: uuid.UUID,
    refund_id: uuid.UUID,
    capture: JournalEntry,
    earlier_refunds: Iterable[JournalEntry],
    refund_amount: Money,
    venue_pending_balance: Money | None = None,
) -> JournalEntry:
    """The entry for a completed refund of ``refund_amount`` of the payment ``capture`` recorded.

    Moves: Cr processor clearing ``refund_amount`` (the money goes back to the buyer), and
    Dr the capture's credit lines (venue share, platform fee, each tax, gas) pro rata to
    what is left of each after ``earlier_refunds`` (the refund entries already posted for
    this capture), split with ``allocate`` so the parts sum exactly to the refund. No line
    ever gives back more than it received, and the last refund of the payment empties
    every line exactly. The processing cost is not returned: the processor keeps its fee,
    so a fully refunded payment leaves clearing short by exactly that cost.

    The venue's share comes from its pending account up to ``venue_pending_balance`` (that
    account's normal balance, read under its row lock) and the rest from its available
    account, which may go negative: as with Stripe Connect's negative balances, the buyer
    is refunded in full now and the platform recovers the shortfall from the venue's later
    sales before any payout. ``None`` takes the whole share from pending.

    Raises ``InvalidInputError`` unless ``refund_amount`` is positive,
    ``RefundExceedsCaptureError`` when it is more than what is left to refund, and
    ``LedgerError`` when ``capture`` is not a capture or ``earlier_refunds`` could not be
    its refunds. The entry is a ``refund.completed`` of the ``payment_refund``
    ``refund_id``. Pure: it builds the entry; money moves when the caller records it, with
    the refund's completion, once per refund (the database refuses a second one).
    """
    currency, remaining = _refundable_lines(capture, earlier_refunds)
    if not isinstance(refund_amount, Money):
        raise TypeError(f"refund_amount must be Money, not {type(refund_amount).__name__}")
    if refund_amount.currency != currency:
        raise LedgerError(f"refund is in {refund_amount.currency.code}, the capture in {currency}")
    if not refund_amount.is_positive:
        raise InvalidInputError(
            f"a refund must be positive, not {refund_amount}",
            details=[("amount", "must be positive")],
        )
    left = sum_money(remaining.values(), currency)
    if refund_amount > left:
        raise RefundExceedsCaptureError(
            f"refund of {refund_amount} exceeds the {left} left to refund of this payment",
            details=[("amount", f"at most {left.minor}")],
        )

    parts = allocate(refund_amount, [amount.minor for amount in remaining.values()])
    debits: list[tuple[AccountRef, Money]] = []
    for account, part in zip(remaining, parts, strict=True):
        if account.kind is AccountKind.VENUE_PENDING and venue_pending_balance is not None:
            debits.extend(
                split_venue_debit(
                    part,
                    pending_balance=venue_pending_balance,
                    pending_account=account,
                    available_account=attrs.evolve(account, kind=AccountKind.VENUE_AVAILABLE),
                )
            )
        else:
            debits.append((account, part))
    clearing = AccountRef.platform(capture.tenant_id, AccountKind.PROCESSOR_CLEARING, currency)
    return JournalEntry(
        id=entry_id,
        tenant_id=capture.tenant_id,
        kind=REFUND_COMPLETED_KIND,
        reference_type=PAYMENT_REFUND_REFERENCE,
        reference_id=refund_id,
        postings=non_zero_postings([*debits, (clearing, -refund_amount)]),
        description=(f"refund {refund_id} of {capture.reference_type} {capture.reference_id}"),
    )
