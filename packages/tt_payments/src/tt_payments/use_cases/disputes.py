"""Card disputes (chargebacks) reported by the processor's webhooks.

Opened: the venue's share of the disputed amount is held in its reserved account. Won:
released to available. Lost: the hold goes back to pending and the lost amount becomes a
completed refund of the payment (a ``payment_refunds`` row with reason ``chargeback``,
its id the dispute's ledger reference), booked by the refund code: fees and tax pro
rata, the payment partially refunded or refunded, ``refund.completed`` published. So the
refundable amount shrinks and later refunds stay right. Each step posts at most once per
dispute (ledger kind + reference are unique; the payment row lock serializes), and a
won or lost dispute whose opening we never saw is opened first.
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
    dispute_lost_entry,
    dispute_opened_entry,
    dispute_reference,
    dispute_won_entry,
    normal_balance,
    venue_dispute_share,
)
from tt_payments.adapters.payments_sql import PaymentsUnitOfWork, SqlPayments
from tt_payments.payments import PaymentRecord, RefundRecord
from tt_payments.use_cases.refund_payment import RefundService
from tt_payments.webhooks import Dispute

_log = logging.getLogger(__name__)
_OUTCOMES = {"won": DISPUTE_WON_KIND, "lost": DISPUTE_LOST_KIND}
SYSTEM_USER = uuid.UUID(int=0)
"""``requested_by`` of refunds nobody requested (chargebacks)."""


@attrs.frozen(kw_only=True)
class DisputeService:
    payments: SqlPayments
    refunds: RefundService

    async def apply(self, record: PaymentRecord, provider: str, dispute: Dispute) -> str:
        """Book ``dispute``'s current status; ``duplicate`` when it is booked already."""
        if dispute.amount.currency != record.total.currency or dispute.amount > record.total:
            return "mismatch"
        tenant, venue, currency = record.tenant_id, record.venue_id, record.total.currency
        reference = dispute_reference(tenant, provider, dispute.provider_dispute_id)
        share = venue_dispute_share(dispute.amount, ticket_price=record.amount, total=record.total)
        pending = AccountRef.venue(tenant, AccountKind.VENUE_PENDING, venue, currency)
        await self.payments.ledger.ensure_accounts(
            [
                pending,
                AccountRef.venue(tenant, AccountKind.VENUE_AVAILABLE, venue, currency),
                AccountRef.venue(tenant, AccountKind.VENUE_RESERVED, venue, currency),
            ]
        )
        outcome_kind = _OUTCOMES.get(dispute.status)
        posted = False
        async with self.payments.unit_of_work() as uow:
            await uow.lock_payment(tenant, record.id)
            booked = await self._booked(uow, tenant, reference)
            if outcome_kind is not None and booked & set(_OUTCOMES.values()) - {outcome_kind}:
                _log.error("dispute %s: %s after the other outcome", reference, dispute.status)
                return "mismatch"
            if DISPUTE_OPENED_KIND not in booked and share.is_positive:
                balance = await uow.balance(pending, lock=True)
                await uow.post(
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
            if outcome_kind == DISPUTE_WON_KIND and outcome_kind not in booked:
                if share.is_positive:
                    await uow.post(
                        dispute_won_entry(
                            entry_id=uuid.uuid4(),
                            tenant_id=tenant,
                            reference=reference,
                            venue_id=venue,
                            amount=share,
                        )
                    )
                posted = True
            if outcome_kind == DISPUTE_LOST_KIND and outcome_kind not in booked:
                if not await uow.reserve_refund(tenant, record.id, dispute.amount):
                    _log.error(
                        "dispute %s lost on payment %s, which has less than %s left to refund",
                        dispute.provider_dispute_id,
                        record.id,
                        dispute.amount,
                    )
                    return "mismatch"
                await uow.insert_refund(
                    tenant_id=tenant,
                    id=reference,
                    transaction_id=record.id,
                    amount=dispute.amount.minor,
                    currency=currency.code,
                    reason=f"chargeback {dispute.provider_dispute_id}",
                    status="processing",
                    idempotency_key=reference,
                    requested_by=SYSTEM_USER,
                    metadata={"disputeId": dispute.provider_dispute_id},
                )
                if share.is_positive:
                    await uow.post(
                        dispute_lost_entry(
                            entry_id=uuid.uuid4(),
                            tenant_id=tenant,
                            reference=reference,
                            venue_id=venue,
                            amount=share,
                        )
                    )
                posted = True
            if posted:
                await uow.append_event(
                    tenant_id=tenant,
                    event_type=f"dispute.{dispute.status if outcome_kind else 'opened'}",
                    aggregate_type="payment",
                    aggregate_id=record.id,
                    data={
                        "paymentId": str(record.id),
                        "venueId": str(venue),
                        "disputeId": dispute.provider_dispute_id,
                        "amount": dispute.amount.minor,
                        "venueShare": share.minor,
                        "currency": currency.code,
                        "status": dispute.status,
                    },
                )
        if outcome_kind == DISPUTE_LOST_KIND:
            # The chargeback as a refund: finished here, or on a retry if we died first.
            finished = await self.refunds.complete_chargeback(
                record,
                RefundRecord(
                    id=reference,
                    transaction_id=record.id,
                    amount=dispute.amount,
                    status="processing",
                ),
                dispute.provider_dispute_id,
            )
            posted = posted or finished
        return "applied" if posted else "duplicate"

    async def _booked(
        self, uow: PaymentsUnitOfWork, tenant: uuid.UUID, reference: uuid.UUID
    ) -> set[str]:
        kinds: set[str] = set()
        for kind in (DISPUTE_OPENED_KIND, DISPUTE_WON_KIND, DISPUTE_LOST_KIND):
            if await self.payments.ledger.entries_for(
                uow.connection,
                tenant,
                reference_type=DISPUTE_REFERENCE,
                reference_ids=[reference],
                kind=kind,
            ):
                kinds.add(kind)
        return kinds
