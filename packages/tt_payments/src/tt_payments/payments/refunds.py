"""POST /api/v1/payments/transaction/{id}/refund: give money back, never more than captured.

1. Only an admin or a manager of the payment's venue may refund (the buyer gets 403,
   anyone else the same 404 as for a payment that does not exist).
2. The amount (default: all that is left) is RESERVED on the payment with one conditional
   UPDATE, ``refunded_amount + amount <= total_amount``, together with the refund row: under
   any number of concurrent requests the refunds can never add up to more than the capture.
3. The processor refunds under a key derived from the refund's id (retries are safe).
4. On success ONE transaction, holding the payment's row lock, completes the refund, posts
   the reversal (``tt_ledger.refund_entry``: fees and tax pro rata over what is left of
   each line; the processor keeps its fee), moves the payment to partially_refunded or
   refunded, and adds ``refund.completed`` to the outbox. On failure the reservation is
   released and ``refund.failed`` is published. If the processor does not answer, the
   refund stays ``processing`` (202) for a retry or reconciliation.

The venue's share comes out of its pending balance first and then its available balance,
which may go negative (Stripe Connect's model): the buyer is refunded in full at once and
the platform recovers the shortfall from the venue's next sales before any payout.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import attrs

from tt_ledger import (
    JournalEntry,
    PaymentEvent,
    PaymentStatus,
    RefundEvent,
    RefundExceedsCaptureError,
    VenueAccounts,
    normal_balance,
    refund_entry,
    refund_states,
)
from tt_ledger import RefundStatus as Ours
from tt_ledger.payment_states import REFUNDABLE_STATUSES
from tt_money import Money
from tt_money.errors import InvalidInputError
from tt_payments.auth.identity import ForbiddenError, Principal
from tt_payments.clock import utcnow
from tt_payments.idempotency import IdempotencyKeyReusedError
from tt_payments.ledger.ports import LedgerAccounts
from tt_payments.metrics import PaymentMetrics
from tt_payments.payments import PaymentNotRefundableError, PaymentRecord, RefundRecord
from tt_payments.payments.ports import PaymentStore, PaymentsTransaction
from tt_payments.payments.service import PaymentService, hold_ids
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.types import (
    ProviderRejectedError,
    ProviderUnavailableError,
    Refund,
    RefundRequest,
    RefundStatus,
    provider_idempotency_key,
)
from tt_payments.tax.service import TaxRecords
from tt_payments.unit_of_work import UnitOfWork

# What a processor's final refund status makes of ours.
_REFUND_OUTCOME = {
    RefundStatus.SUCCEEDED: RefundEvent.SUCCEEDED,
    RefundStatus.FAILED: RefundEvent.FAILED,
    RefundStatus.CANCELED: RefundEvent.FAILED,
}


class RefundFailedError(InvalidInputError):
    """The processor refused the refund; nothing was refunded and the amount is free again
    (422: the request cannot succeed as made)."""

    default_code = "REFUND_FAILED"


SYSTEM_USER = uuid.UUID(int=0)
"""``requested_by`` of refunds nobody requested (dashboard refunds, chargebacks)."""

# Processors keep idempotency keys about a day (Stripe: "at least 24 hours"). Past this,
# resending a refund under its key might refund twice; reconciliation finishes it instead.
PROVIDER_KEY_WINDOW = dt.timedelta(hours=23)


@attrs.frozen(kw_only=True)
class RefundService:
    payments: PaymentStore
    uow: UnitOfWork[PaymentsTransaction]
    accounts: LedgerAccounts
    lookup: PaymentService
    provider: PaymentProvider
    metrics: PaymentMetrics
    tax_records: TaxRecords | None = None
    clock: Callable[[], dt.datetime] = utcnow

    async def refund(
        self,
        principal: Principal,
        transaction_id: uuid.UUID,
        *,
        amount_minor: int | None,
        reason: str,
        idempotency_key: uuid.UUID,
    ) -> RefundRecord:
        """Refund part or all of a payment; see the module docstring for what moves.

        Idempotent per tenant + requesting user + key: a retry resumes the same refund.
        """
        record = await self.lookup.visible(principal, transaction_id)
        if not principal.can_manage_venue(record.venue_id):
            raise ForbiddenError("only an admin or the venue's manager may refund a payment")
        refund = await self.payments.find_refund(
            principal.tenant_id, principal.user_id, idempotency_key
        )
        resumed = refund is not None
        if refund is not None and refund.transaction_id != record.id:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for a refund of another payment; "
                "generate a new key for a new request"
            )
        if refund is None:
            refund = await self._reserve(principal, record, amount_minor, reason, idempotency_key)
        if refund.status is not Ours.PROCESSING:
            return refund
        if record.provider_payment_id is None:  # pragma: no cover - completed payments have one
            raise RuntimeError(f"payment {record.id} has no processor id")
        if resumed and refund.created_at and self.clock() - refund.created_at > PROVIDER_KEY_WINDOW:
            return refund  # the processor may have forgotten the key: reconciliation decides
        try:
            # What was recorded, not this request's copy: a retry must send the processor
            # the same parameters under the same key.
            result = await self.provider.refund(
                RefundRequest(
                    provider_payment_id=record.provider_payment_id,
                    amount=refund.amount,
                    idempotency_key=provider_idempotency_key(record.tenant_id, refund.id, "refund"),
                    reason=refund.reason if resumed else reason,
                    metadata={
                        "refundId": str(refund.id),
                        "transactionId": str(record.id),
                        "tenantId": str(record.tenant_id),
                    },
                )
            )
        except ProviderUnavailableError:
            return refund
        except ProviderRejectedError as error:
            if resumed:
                # An earlier attempt may have refunded already; a refusal now does not say
                # it did not. Keep the reservation; reconciliation asks the processor.
                return refund
            await self._fail(record, refund, error.message)
            raise RefundFailedError(f"the processor refused the refund: {error.message}") from None
        if result.status is RefundStatus.SUCCEEDED:
            await self._complete(record, refund, result.provider_refund_id)
        elif result.status in (RefundStatus.FAILED, RefundStatus.CANCELED):
            await self._fail(record, refund, result.failure_reason or result.status.value)
        found = await self.payments.find_refund(
            principal.tenant_id, principal.user_id, idempotency_key
        )
        if found is None:  # pragma: no cover - we just wrote it
            raise RuntimeError(f"refund {refund.id} vanished")
        self.metrics.refund_finished(status=found.status.value)
        return found

    async def settle_provider_refund(
        self, record: PaymentRecord, refund_id: uuid.UUID | None, refund: Refund
    ) -> str:
        """What the processor says about one of the payment's refunds (a webhook).

        Finds our refund by the id we put in its metadata, else by the processor's id;
        completes or fails it through the same steps as a live refund (conditional on it
        still processing, so at most once). A succeeded refund we never asked for (made
        in the processor's dashboard) is booked as one (``book_processor_refund``, at most
        once); one larger than what is left to refund is a ``mismatch``.
        """
        ours = await self.payments.find_refund_for_provider(
            record.tenant_id, record.id, refund_id, refund.provider_refund_id
        )
        finished = _REFUND_OUTCOME.get(refund.status)
        if ours is None and refund_id is None and finished is RefundEvent.SUCCEEDED:
            booked = await self.book_processor_refund(
                record, refund, reason=f"processor refund {refund.provider_refund_id}"
            )
            return {"booked": "applied", "duplicate": "duplicate"}.get(booked, "mismatch")
        if ours is None or finished is None:
            return "unmatched" if ours is None else "pending"
        move = refund_states.classify(ours.status, finished)
        if move == "duplicate":  # ours is where this event leads already
            return "duplicate"
        if move != "apply" or ours.amount != refund.amount:
            return "mismatch"
        if finished is RefundEvent.SUCCEEDED:
            await self._complete(record, ours, refund.provider_refund_id)
        else:
            await self._fail(record, ours, refund.failure_reason or refund.status.value)
        self.metrics.refund_finished(status=refund_states.transition(ours.status, finished).value)
        return "applied"

    async def book_processor_refund(
        self,
        record: PaymentRecord,
        refund: Refund,
        *,
        reason: str,
        refund_id: uuid.UUID | None = None,
        with_entry: JournalEntry | None = None,
    ) -> str:
        """Money the processor gave back without our asking (a refund made in its
        dashboard, a lost dispute): booked as a completed refund of the payment, through
        the same completion as a live refund, at most once per ``refund_id``.

        ``with_entry`` is posted in the same transaction as the refund row (a lost
        dispute's release of its hold). Returns ``booked``, ``duplicate`` (booked before),
        or ``exceeds`` when it is more than is left to refund (nothing is booked; the
        caller flags it).
        """
        refund_id = refund_id or uuid.uuid5(
            record.id, f"{refund.provider}:{refund.provider_refund_id}"
        )
        async with self.uow() as tx:
            await tx.payments.lock_payment(record.tenant_id, record.id)
            existing = await self.payments.find_refund_for_provider(
                record.tenant_id, record.id, refund_id, refund.provider_refund_id
            )
            if existing is None:
                if not await tx.payments.reserve_refund(record.tenant_id, record.id, refund.amount):
                    return "exceeds"
                await tx.payments.insert_refund(
                    RefundRecord(
                        id=refund_id,
                        transaction_id=record.id,
                        amount=refund.amount,
                        status=Ours.PROCESSING,
                        reason=reason,
                    ),
                    tenant_id=record.tenant_id,
                    idempotency_key=refund_id,
                    requested_by=SYSTEM_USER,
                    metadata={"providerRefundId": refund.provider_refund_id},
                )
                if with_entry is not None:
                    await tx.ledger.post(with_entry)
        completed = await self._complete(
            record,
            RefundRecord(
                id=refund_id,
                transaction_id=record.id,
                amount=refund.amount,
                status=Ours.PROCESSING,
            ),
            refund.provider_refund_id,
        )
        return "booked" if existing is None or completed else "duplicate"

    async def _reserve(
        self,
        principal: Principal,
        record: PaymentRecord,
        amount_minor: int | None,
        reason: str,
        idempotency_key: uuid.UUID,
    ) -> RefundRecord:
        if record.status not in REFUNDABLE_STATUSES:
            raise PaymentNotRefundableError(
                f"a {record.status.value} payment cannot be refunded",
                details=(("transactionId", f"is {record.status.value}"),),
            )
        amount = (
            record.refundable
            if amount_minor is None
            else Money(amount_minor, record.total.currency)
        )
        refund = RefundRecord(
            id=uuid.uuid4(),
            transaction_id=record.id,
            amount=amount,
            status=Ours.PROCESSING,
            reason=reason,
            created_at=self.clock(),
        )
        async with self.uow() as tx:
            if not amount.is_positive or not await tx.payments.reserve_refund(
                record.tenant_id, record.id, amount
            ):
                latest = await tx.payments.refunded_total(record.tenant_id, record.id)
                left = latest[1] - latest[0]
                raise RefundExceedsCaptureError(
                    f"the refund exceeds what is left to refund ({left} cents)",
                    details=(("amount", f"must be at most {left}"),),
                )
            await tx.payments.insert_refund(
                refund,
                tenant_id=record.tenant_id,
                idempotency_key=idempotency_key,
                requested_by=principal.user_id,
                metadata={},
            )
        return refund

    async def _complete(
        self, record: PaymentRecord, refund: RefundRecord, provider_refund_id: str
    ) -> bool:
        accounts = VenueAccounts.of(record.tenant_id, record.venue_id, record.total.currency)
        pending_account = accounts.pending
        await self.accounts.ensure_accounts([accounts.pending, accounts.available])
        tenant = record.tenant_id
        async with self.uow() as tx:
            await tx.payments.lock_payment(tenant, record.id)
            if not await tx.payments.move_refund(
                tenant,
                refund.id,
                Ours.PROCESSING,
                refund_states.transition(Ours.PROCESSING, RefundEvent.SUCCEEDED),
                now=self.clock(),
                provider_refund_id=provider_refund_id,
            ):
                return False  # a concurrent retry completed it
            pending = await tx.ledger.balance(pending_account, lock=True)
            capture, earlier = await tx.payments.capture_and_refunds(tenant, record.id)
            entry = refund_entry(
                entry_id=uuid.uuid4(),
                refund_id=refund.id,
                capture=capture,
                earlier_refunds=[done for done in earlier if done.reference_id != refund.id],
                refund_amount=refund.amount,
                venue_pending_balance=normal_balance(pending_account, pending),
            )
            await tx.ledger.post(entry)
            if self.tax_records is not None:
                await self.tax_records.refund_completed(tx.tax, record, refund.id, entry)
            refunded = await tx.payments.completed_refunds_total(tenant, record.id)
            if refunded == record.total.minor:
                await tx.payments.transition(
                    tenant, record.id, PaymentEvent.REFUNDED_FULLY, PaymentStatus.REFUNDED
                )
                # Refunded in full: the tickets go back on sale (a partial refund, a
                # goodwill credit, keeps them).
                metadata = await self.payments.metadata_of(tenant, record.id)
                released = hold_ids(metadata.get("tickets", ()))
                await tx.tickets.release(tenant, released)
            else:
                released = []
                await tx.payments.transition(
                    tenant,
                    record.id,
                    PaymentEvent.REFUNDED_PARTIALLY,
                    PaymentStatus.PARTIALLY_REFUNDED,
                )
            await tx.outbox.append(
                tenant_id=tenant,
                event_type="refund.completed",
                aggregate_type="refund",
                aggregate_id=refund.id,
                data={
                    "refundId": str(refund.id),
                    "paymentId": str(record.id),
                    "amount": refund.amount.minor,
                    "currency": refund.amount.currency.code,
                    "refundedTotal": refunded,
                    "fullyRefunded": refunded == record.total.minor,
                    "providerRefundId": provider_refund_id,
                    # The holds whose tickets go back on sale (a full refund only).
                    "holdIds": [str(hold) for hold in released],
                },
            )
        return True

    async def _fail(self, record: PaymentRecord, refund: RefundRecord, reason: str) -> None:
        async with self.uow() as tx:
            if await tx.payments.move_refund(
                record.tenant_id,
                refund.id,
                Ours.PROCESSING,
                refund_states.transition(Ours.PROCESSING, RefundEvent.FAILED),
                now=self.clock(),
                failure_reason=reason,
            ):
                await tx.payments.release_refund(record.tenant_id, record.id, refund.amount)
                await tx.outbox.append(
                    tenant_id=record.tenant_id,
                    event_type="refund.failed",
                    aggregate_type="refund",
                    aggregate_id=refund.id,
                    data={
                        "refundId": str(refund.id),
                        "paymentId": str(record.id),
                        "amount": refund.amount.minor,
                        "reason": reason,
                    },
                )
