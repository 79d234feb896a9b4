"""Card disputes (chargebacks) reported by the processor's webhooks.

Opened: the venue's share of the disputed amount is held in its reserved account. Won:
released to available. Lost: the hold goes back to pending and the lost amount is booked
as a completed refund of the payment (``RefundService.book_processor_refund``: a
``payment_refunds`` row with reason ``chargeback``, its id the dispute's ledger
reference), so fees and tax come back pro rata, the payment becomes partially refunded or
refunded, ``refund.completed`` is published, and later refunds stay right. Each step
posts at most once per dispute (ledger kind + reference are unique; the payment row lock
serializes), and a won or lost dispute whose opening we never saw is opened first.
"""

from __future__ import annotations

import logging
import uuid

import attrs

from tt_ledger import (
    DISPUTE_LOST_KIND,
    DISPUTE_OPENED_KIND,
    DISPUTE_REFERENCE,
    DISPUTE_WON_KIND,
    AccountKind,
    AccountRef,
    JournalEntry,
    dispute_lost_entry,
    dispute_opened_entry,
    dispute_reference,
    dispute_won_entry,
    normal_balance,
    venue_dispute_share,
)
from tt_money import Money
from tt_payments.ledger.ports import LedgerAccounts
from tt_payments.payments import PaymentRecord
from tt_payments.payments.ports import PaymentsTransaction
from tt_payments.payments.refunds import RefundService
from tt_payments.providers.types import Refund, RefundStatus
from tt_payments.unit_of_work import UnitOfWork
from tt_payments.webhooks import Dispute

_log = logging.getLogger(__name__)
_OUTCOMES = {"won": DISPUTE_WON_KIND, "lost": DISPUTE_LOST_KIND}


@attrs.frozen(kw_only=True)
class DisputeService:
    uow: UnitOfWork[PaymentsTransaction]
    accounts: LedgerAccounts
    refunds: RefundService

    async def apply(self, record: PaymentRecord, provider: str, dispute: Dispute) -> str:
        """Book ``dispute``'s current status; ``duplicate`` when it is booked already."""
        if dispute.status.startswith("warning_"):
            # An inquiry: the card network has not taken the money, so nothing is held;
            # it becomes a dispute (a new status) or closes as warning_closed.
            return "inquiry"
        if dispute.amount.currency != record.total.currency or dispute.amount > record.total:
            return "mismatch"
        tenant, venue, currency = record.tenant_id, record.venue_id, record.total.currency
        reference = dispute_reference(tenant, provider, dispute.provider_dispute_id)
        share = venue_dispute_share(dispute.amount, ticket_price=record.amount, total=record.total)
        pending = AccountRef.venue(tenant, AccountKind.VENUE_PENDING, venue, currency)
        await self.accounts.ensure_accounts(
            [
                pending,
                AccountRef.venue(tenant, AccountKind.VENUE_AVAILABLE, venue, currency),
                AccountRef.venue(tenant, AccountKind.VENUE_RESERVED, venue, currency),
            ]
        )
        outcome = _OUTCOMES.get(dispute.status)
        posted = False
        async with self.uow() as tx:
            await tx.payments.lock_payment(tenant, record.id)
            booked = await self._booked(tx, tenant, reference)
            if outcome is not None and booked & set(_OUTCOMES.values()) - {outcome}:
                _log.error("dispute %s: %s after the other outcome", reference, dispute.status)
                return "mismatch"
            if DISPUTE_OPENED_KIND not in booked and share.is_positive:
                balance = await tx.ledger.balance(pending, lock=True)
                await tx.ledger.post(
                    dispute_opened_entry(
                        entry_id=uuid.uuid4(),
                        tenant_id=tenant,
                        reference=reference,
                        venue_id=venue,
                        amount=share,
                        venue_pending_balance=normal_balance(pending, balance),
                    )
                )
                posted = True
            if outcome == DISPUTE_WON_KIND and outcome not in booked:
                if share.is_positive:
                    await tx.ledger.post(self._release(DISPUTE_WON_KIND, record, reference, share))
                posted = True
            if posted:
                await tx.outbox.append(
                    tenant_id=tenant,
                    event_type=f"dispute.{'won' if outcome == DISPUTE_WON_KIND else 'opened'}",
                    aggregate_type="payment",
                    aggregate_id=record.id,
                    data=_event_data(record, dispute, share),
                )
        if outcome == DISPUTE_LOST_KIND:
            booking = await self.refunds.book_processor_refund(
                record,
                Refund(
                    provider=provider,
                    provider_refund_id=dispute.provider_dispute_id,
                    provider_payment_id=dispute.provider_payment_id,
                    amount=dispute.amount,
                    status=RefundStatus.SUCCEEDED,
                ),
                reason=f"chargeback {dispute.provider_dispute_id}",
                refund_id=reference,
                with_entry=(
                    self._release(DISPUTE_LOST_KIND, record, reference, share)
                    if share.is_positive
                    else None
                ),
            )
            if booking == "exceeds":
                _log.error(
                    "dispute %s lost on payment %s, which has less than %s left to refund",
                    dispute.provider_dispute_id,
                    record.id,
                    dispute.amount,
                )
                return "mismatch"
            posted = posted or booking == "booked"
        return "applied" if posted else "duplicate"

    @staticmethod
    def _release(
        kind: str, record: PaymentRecord, reference: uuid.UUID, share: Money
    ) -> JournalEntry:
        build = dispute_won_entry if kind == DISPUTE_WON_KIND else dispute_lost_entry
        return build(
            entry_id=uuid.uuid4(),
            tenant_id=record.tenant_id,
            reference=reference,
            venue_id=record.venue_id,
            amount=share,
        )

    async def _booked(
        self, tx: PaymentsTransaction, tenant: uuid.UUID, reference: uuid.UUID
    ) -> set[str]:
        kinds: set[str] = set()
        for kind in (DISPUTE_OPENED_KIND, DISPUTE_WON_KIND, DISPUTE_LOST_KIND):
            if await tx.ledger.entries_for(
                tenant,
                reference_type=DISPUTE_REFERENCE,
                reference_ids=[reference],
                kind=kind,
            ):
                kinds.add(kind)
        return kinds


def _event_data(record: PaymentRecord, dispute: Dispute, share: Money) -> dict[str, object]:
    return {
        "paymentId": str(record.id),
        "venueId": str(record.venue_id),
        "disputeId": dispute.provider_dispute_id,
        "amount": dispute.amount.minor,
        "venueShare": share.minor,
        "currency": dispute.amount.currency.code,
        "status": dispute.status,
    }
