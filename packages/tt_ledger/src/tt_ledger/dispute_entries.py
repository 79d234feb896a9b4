"""Journal entries of a card dispute (chargeback), as Stripe Connect books them.

When a buyer disputes a payment the card network takes the disputed amount back
provisionally. We hold the VENUE'S SHARE of it (the ticket price's part of the disputed
amount, ``venue_dispute_share``; the platform answers for its fee, the tax and the gas):
``dispute_opened_entry`` moves that share from what the venue is owed (pending first,
then available, which may go negative) into its reserved account. Won: released to
available (``dispute_won_entry``). Lost: the hold goes back to pending
(``dispute_lost_entry``) and the lost amount is booked as a refund of the payment
(tt_ledger.refund_entry, pro rata over every line), so fees, tax and later refunds stay
right. Stripe's dispute fee is not modelled here.
"""

from __future__ import annotations

import uuid

from tt_ledger.accounts import AccountKind, AccountRef
from tt_ledger.errors import LedgerError
from tt_ledger.journal import JournalEntry, Posting
from tt_ledger.payment_entries import split_venue_debit
from tt_money import Money, allocate

__all__ = [
    "DISPUTE_LOST_KIND",
    "DISPUTE_OPENED_KIND",
    "DISPUTE_REFERENCE",
    "DISPUTE_WON_KIND",
    "dispute_lost_entry",
    "dispute_opened_entry",
    "dispute_reference",
    "dispute_won_entry",
    "venue_dispute_share",
]

DISPUTE_REFERENCE = "dispute"
DISPUTE_OPENED_KIND = "dispute.opened"
DISPUTE_WON_KIND = "dispute.won"
DISPUTE_LOST_KIND = "dispute.lost"
_NAMESPACE = uuid.UUID("2b0f5b9e-3f4e-4d3c-8a57-6d1f0c9e7a41")


def dispute_reference(tenant_id: uuid.UUID, provider: str, provider_dispute_id: str) -> uuid.UUID:
    """The ledger reference of a processor's dispute (stable: its entries find each other)."""
    return uuid.uuid5(_NAMESPACE, f"{tenant_id}:{provider}:{provider_dispute_id}")


def venue_dispute_share(disputed: Money, *, ticket_price: Money, total: Money) -> Money:
    """The venue's part of a disputed amount: in proportion to ticket price / total."""
    if not total.is_positive or ticket_price > total or disputed > total:
        raise LedgerError(f"cannot share {disputed} of a {total} payment ({ticket_price} venue)")
    rest = total - ticket_price
    return allocate(disputed, [ticket_price.minor, rest.minor])[0]


def _positive(amount: Money) -> None:
    if not amount.is_positive:
        raise LedgerError(f"a disputed amount is positive, not {amount}")


def _accounts(tenant_id: uuid.UUID, venue_id: uuid.UUID, amount: Money) -> tuple[AccountRef, ...]:
    return tuple(
        AccountRef.venue(tenant_id, kind, venue_id, amount.currency)
        for kind in (
            AccountKind.VENUE_PENDING,
            AccountKind.VENUE_AVAILABLE,
            AccountKind.VENUE_RESERVED,
        )
    )


def dispute_opened_entry(
    *,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID,
    reference: uuid.UUID,
    venue_id: uuid.UUID,
    amount: Money,
    venue_pending_balance: Money,
) -> JournalEntry:
    """Hold ``amount`` of the venue's money in its reserved account while disputed."""
    _positive(amount)
    pending, available, reserved = _accounts(tenant_id, venue_id, amount)
    taken = split_venue_debit(
        amount,
        pending_balance=venue_pending_balance,
        pending_account=pending,
        available_account=available,
    )
    return JournalEntry(
        id=entry_id,
        tenant_id=tenant_id,
        kind=DISPUTE_OPENED_KIND,
        reference_type=DISPUTE_REFERENCE,
        reference_id=reference,
        postings=(
            *(Posting(account=account, amount=part) for account, part in taken),
            Posting(account=reserved, amount=-amount),
        ),
        description="dispute opened: the disputed amount is held",
    )


def dispute_won_entry(
    *,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID,
    reference: uuid.UUID,
    venue_id: uuid.UUID,
    amount: Money,
) -> JournalEntry:
    """The dispute was won: the held amount is the venue's again, available."""
    return _release(
        entry_id=entry_id,
        tenant_id=tenant_id,
        reference=reference,
        venue_id=venue_id,
        amount=amount,
        kind=DISPUTE_WON_KIND,
        to=AccountKind.VENUE_AVAILABLE,
        description="dispute won: the held amount is released",
    )


def dispute_lost_entry(
    *,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID,
    reference: uuid.UUID,
    venue_id: uuid.UUID,
    amount: Money,
) -> JournalEntry:
    """The dispute was lost: the venue's held ``amount`` goes back to pending, from where
    the chargeback, booked as a refund of the payment, takes it with everything else."""
    return _release(
        entry_id=entry_id,
        tenant_id=tenant_id,
        reference=reference,
        venue_id=venue_id,
        amount=amount,
        kind=DISPUTE_LOST_KIND,
        to=AccountKind.VENUE_PENDING,
        description="dispute lost: the hold is released into the chargeback",
    )


def _release(
    *,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID,
    reference: uuid.UUID,
    venue_id: uuid.UUID,
    amount: Money,
    kind: str,
    to: AccountKind,
    description: str,
) -> JournalEntry:
    _positive(amount)
    reserved = AccountRef.venue(tenant_id, AccountKind.VENUE_RESERVED, venue_id, amount.currency)
    return JournalEntry(
        id=entry_id,
        tenant_id=tenant_id,
        kind=kind,
        reference_type=DISPUTE_REFERENCE,
        reference_id=reference,
        postings=(
            Posting(account=reserved, amount=amount),
            Posting(
                account=AccountRef.venue(tenant_id, to, venue_id, amount.currency), amount=-amount
            ),
        ),
        description=description,
    )
