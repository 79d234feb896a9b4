"""POST /api/v1/payments/process: charge a buyer for tickets, exactly once.

Steps (spec "Process Payment"; issue 3):

1. the venue and event must be known, and the event at that venue;
2. the pre-payment checks (``checks.py``) may refuse, or ask for 3-D Secure;
3. fees and tax, as calculate-fees quotes them;
4. the payment is recorded ``processing`` BEFORE the processor is called;
5. the processor charges, under a key derived from the payment's id;
6. ONE transaction records the outcome: state, journal entry, intent, mint job, outbox.

Retries are safe at every step. The idempotency key is unique per tenant + user in
``payment_transactions``, so a retry (or a concurrent twin) finds the payment of step 4
instead of making a second one, and calls the processor again with the same processor
key, which returns the original charge instead of charging twice. A processor timeout
leaves the payment ``processing`` (the caller answers 202); a retry or reconciliation
settles it later. Step 6 is a conditional state change, so only one finisher posts.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from tt_high_demand import PurchaseCounts, PurchaseLimits, check_purchase
from tt_ledger import PaymentEvent, PaymentStatus, payment_captured_entry
from tt_ledger.payment_states import PAID_STATUSES
from tt_money import FeeLineKind, Money
from tt_money.errors import ConflictError, InvalidInputError, RefusedError
from tt_payments.auth.identity import Principal, Role
from tt_payments.catalog.ports import Catalog
from tt_payments.catalog.service import venue_and_event
from tt_payments.checks import CheckResult, PaymentAttempt, PrePaymentCheck, combine
from tt_payments.clock import utcnow
from tt_payments.idempotency import IdempotencyKeyReusedError, IdempotencyScope, StoredAnswer
from tt_payments.ledger.ports import LedgerAccounts
from tt_payments.metrics import PaymentMetrics
from tt_payments.payments import (
    PaymentRecord,
    PaymentRequest,
    TransactionNotFoundError,
)
from tt_payments.payments.fees import FeeCalculator, FeeQuote
from tt_payments.payments.ports import PaymentStore, PaymentsTransaction, WaitingRoomGate
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    ProviderRejectedError,
    ProviderUnavailableError,
    provider_idempotency_key,
)
from tt_payments.tax.service import TaxRecords, tax_metadata
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.pricing import AskedLine, price_lines
from tt_payments.unit_of_work import UnitOfWork

_log = logging.getLogger(__name__)

NOTHING_HELD = PurchaseCounts(by_user=0, by_payment_method=0, by_address=0)


@attrs.frozen(kw_only=True)
class PaymentOutcome:
    record: PaymentRecord
    fees: Mapping[str, int]
    """The spec's ``fees`` object as charged (ticketPrice, platformFee, ... total)."""
    charge: Charge | None = None
    """This call's processor answer, when there was one (3-D Secure needs its secret)."""

    answer: StoredAnswer | None = None
    """The response stored under the request's Idempotency-Key in the settling
    transaction, when the caller asked for that (``AnswerInTransaction``)."""

    @property
    def settled(self) -> bool:
        """False while the processor's answer is unknown (the API answers 202)."""
        return self.record.status is not PaymentStatus.PROCESSING


@attrs.frozen(kw_only=True)
class AnswerInTransaction:
    """Ask ``process`` to store the caller's answer with the payment's final commit.

    ``answer_for`` is the caller's (the API renders its response there): given the
    settled outcome it returns the answer to keep under ``scope``, or None for none yet
    (the API's 202 while the processor has not decided). The service stores what it is
    given, unread, in the same transaction as the state change and the journal entry, so
    a replay can never disagree with the ledger.
    """

    scope: IdempotencyScope
    answer_for: Callable[[PaymentOutcome], StoredAnswer | None]


# Processor answers that move a payment's status without moving money.
_UNSETTLED_MOVES = {
    ChargeStatus.REQUIRES_ACTION: (PaymentEvent.REQUIRES_ACTION, PaymentStatus.REQUIRES_ACTION),
    ChargeStatus.CANCELED: (PaymentEvent.CANCELED, PaymentStatus.CANCELLED),
    ChargeStatus.PROCESSING: (PaymentEvent.PROCESSING, PaymentStatus.PROCESSING),
}

# Processors keep idempotency keys about a day (Stripe: "at least 24 hours"). A payment
# still processing after this is finished by reconciliation, never charged again.
PROVIDER_KEY_WINDOW = dt.timedelta(hours=23)

# A payment whose slot in the waiting room goes to the next person (3-D Secure keeps it).
_FINAL_FOR_THE_ROOM = frozenset(
    {PaymentStatus.COMPLETED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}
)


@attrs.frozen(kw_only=True)
class PaymentService:
    payments: PaymentStore
    uow: UnitOfWork[PaymentsTransaction]
    accounts: LedgerAccounts
    catalog: Catalog
    fees: FeeCalculator
    provider: PaymentProvider
    metrics: PaymentMetrics
    tickets: TicketCatalog
    """Verified prices and holds: the price charged is the catalog's, never the client's."""
    checks: Sequence[PrePaymentCheck] = ()
    high_demand: WaitingRoomGate | None = None
    tax_records: TaxRecords | None = None
    hold_for: dt.timedelta = dt.timedelta(minutes=15)
    """How long a payment's tickets stay held for it (``TT_TICKET_HOLD_SECONDS``)."""
    clock: Callable[[], dt.datetime] = utcnow

    async def process(
        self,
        principal: Principal,
        request: PaymentRequest,
        *,
        ip_address: str | None = None,
        access_token: str | None = None,
        session_data: Mapping[str, object] | None = None,
        answer: AnswerInTransaction | None = None,
    ) -> PaymentOutcome:
        """Charge for ``request`` once; see the module docstring for what moves and when.

        Side effects: a payment_transactions row, a processor charge, and on success one
        journal entry, one payment_intents row, one nft_mint_queue row and one outbox row
        ``payment.completed``, all in one commit. Idempotent per tenant + user + key.
        With ``answer``, that commit also stores the caller's response under its key.
        """
        attempt = PaymentAttempt(
            principal=principal,
            request=request,
            ip_address=ip_address,
            access_token=access_token,
            session_data=session_data,
        )
        record, metadata = await self._record_processing(attempt)
        return await self._charge(record, metadata, answer)

    async def _free_slot(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, queue_id: str, *, purchased: bool
    ) -> None:
        """Give the buyer's waiting-room slot to the next in line (best effort)."""
        if self.high_demand is not None:
            await self.high_demand.release(tenant_id, event_id, queue_id, purchased=purchased)

    async def _charge(
        self,
        record: PaymentRecord,
        metadata: Mapping[str, Any],
        answer: AnswerInTransaction | None,
    ) -> PaymentOutcome:
        if record.status is PaymentStatus.REQUIRES_ACTION and record.provider_payment_id:
            # A retry while 3-D Secure is open: the processor says where it stands now
            # (still waiting: answer its client secret again; finished: settle it).
            current = await self.provider.retrieve(record.provider_payment_id)
            if current.status is ChargeStatus.REQUIRES_ACTION:
                return PaymentOutcome(record=record, fees=metadata["fees"], charge=current)
            return await self._settle(record, metadata, current, answer)
        if record.status is not PaymentStatus.PROCESSING:
            return PaymentOutcome(record=record, fees=metadata["fees"])
        if self.clock() - record.created_at > PROVIDER_KEY_WINDOW:
            # The processor may have forgotten our key by now; charging again under it
            # could charge twice. Reconciliation asks the processor and settles it.
            return PaymentOutcome(record=record, fees=metadata["fees"])
        charge_request = ChargeRequest(
            amount=record.total,
            payment_method_id=metadata["paymentMethodId"],
            idempotency_key=provider_idempotency_key(record.tenant_id, record.id, "charge"),
            description=f"Tickets, payment {record.id}",
            metadata={"transactionId": str(record.id), "tenantId": str(record.tenant_id)},
            require_three_d_secure=bool(metadata.get("requireThreeDSecure")),
        )
        method = str(metadata.get("paymentMethodType", "card"))
        started = time.perf_counter()
        self.metrics.in_flight(1)
        try:
            try:
                charge = await self.provider.charge(charge_request)
            except ProviderUnavailableError:
                self.metrics.payment_finished(status="unknown", method=method, amount=None)
                return PaymentOutcome(record=record, fees=metadata["fees"])
            except ProviderRejectedError as error:
                # The processor refused the request itself (an unknown payment method,
                # say): nothing was charged. Record the payment as failed, not stranded.
                charge = Charge(
                    provider=self.provider.name,
                    provider_payment_id="",
                    status=ChargeStatus.DECLINED,
                    amount=record.total,
                    decline_code="invalid_request",
                    failure_message=error.message,
                )
            outcome = await self._settle(record, metadata, charge, answer)
        finally:
            self.metrics.in_flight(-1)
            self.metrics.processing_seconds(method=method, seconds=time.perf_counter() - started)
        completed = outcome.record.status is PaymentStatus.COMPLETED
        self.metrics.payment_finished(
            status=outcome.record.status.value,
            method=method,
            amount=outcome.record.total if completed else None,
        )
        return outcome

    async def settle_charge(self, record: PaymentRecord, charge: Charge) -> PaymentOutcome:
        """Record what the processor says about ``record`` (a webhook, reconciliation):
        the same settlement as a live payment, so it applies at most once."""
        metadata = await self.payments.metadata_of(record.tenant_id, record.id)
        return await self._settle(record, metadata, charge)

    async def restore_downstream(self, record: PaymentRecord, *, completed_event: bool) -> None:
        """Re-create what a paid payment's settlement should have left behind: its mint
        job (queued only if missing) and, when asked, its ``payment.completed`` event
        (reconciliation, orphaned payments)."""
        metadata = await self.payments.metadata_of(record.tenant_id, record.id)
        async with self.uow() as tx:
            job = await tx.payments.queue_mint(
                tenant_id=record.tenant_id,
                payment_id=record.id,
                ticket_ids=_ticket_ids(record.id, metadata["tickets"]),
                venue_id=record.venue_id,
                event_id=record.event_id,
                blockchain=metadata["blockchain"],
            )
            if completed_event:
                charge = Charge(
                    provider=record.provider,
                    provider_payment_id=record.provider_payment_id or "",
                    status=ChargeStatus.SUCCEEDED,
                    amount=record.total,
                )
                await tx.outbox.append(
                    tenant_id=record.tenant_id,
                    event_type="payment.completed",
                    aggregate_type="payment",
                    aggregate_id=record.id,
                    data={
                        **_event_data(record, metadata, charge, mint_job_id=job),
                        "reconciled": True,
                    },
                )

    async def expire(self, record: PaymentRecord, reason: str) -> bool:
        """Give up on a payment the processor has no trace of (reconciliation): cancelled,
        its tickets given back, ``payment.expired`` published. False if it had moved on
        meanwhile."""
        metadata = await self.payments.metadata_of(record.tenant_id, record.id)
        async with self.uow() as tx:
            moved = await tx.payments.transition(
                record.tenant_id,
                record.id,
                PaymentEvent.CANCELED,
                PaymentStatus.CANCELLED,
                failure_message=reason,
            )
            if moved:
                holds = hold_ids(metadata.get("tickets", ()))
                await tx.tickets.release(record.tenant_id, holds)
                await tx.outbox.append(
                    tenant_id=record.tenant_id,
                    event_type="payment.expired",
                    aggregate_type="payment",
                    aggregate_id=record.id,
                    data={
                        "paymentId": str(record.id),
                        "reason": reason,
                        "holdIds": [str(hold) for hold in holds],
                    },
                )
        if moved:
            queue_entry = metadata.get("queueId")
            if queue_entry:
                await self._free_slot(
                    record.tenant_id, record.event_id, str(queue_entry), purchased=False
                )
        return moved

    async def link_order(self, payment_id: uuid.UUID, order_id: uuid.UUID) -> PaymentRecord:
        """POST /internal/payment-complete: the order service says ``order_id`` was paid by
        ``payment_id``. The payment must have succeeded; a payment belongs to one order
        (repeating the same pair is fine, another order is a conflict)."""
        record = await self.payments.get_in_any_tenant(payment_id)
        if record is None:
            raise TransactionNotFoundError(f"transaction {payment_id} was not found")
        if record.status not in PAID_STATUSES:
            raise ConflictError(
                f"payment {payment_id} is {record.status.value}, not completed",
                code="PAYMENT_NOT_COMPLETED",
            )
        if not await self.payments.link_order(record.tenant_id, record.id, order_id):
            raise ConflictError(
                f"payment {payment_id} already belongs to another order", code="ORDER_MISMATCH"
            )
        return attrs.evolve(record, order_id=order_id)

    async def stats(self, principal: Principal) -> dict[str, int]:
        """Admin only: the tenant's payments of the last 24 hours (GET /admin/stats)."""
        principal.require_role(Role.ADMIN)
        return await self.payments.stats_since(
            principal.tenant_id, self.clock() - dt.timedelta(hours=24)
        )

    async def visible(self, principal: Principal, transaction_id: uuid.UUID) -> PaymentRecord:
        """The payment, if ``principal`` may see it: its buyer, an admin, or a manager of
        its venue. Anyone else, in this tenant or another, gets TRANSACTION_NOT_FOUND."""
        record = await self.payments.get(principal.tenant_id, transaction_id)
        if record is None or not (
            record.user_id == principal.user_id or principal.can_manage_venue(record.venue_id)
        ):
            raise TransactionNotFoundError(f"transaction {transaction_id} was not found")
        return record

    async def _record_processing(
        self, attempt: PaymentAttempt
    ) -> tuple[PaymentRecord, Mapping[str, Any]]:
        """Steps 1-4: the payment as recorded ``processing``, and its metadata.

        A retry (same tenant, user and key) gets the payment recorded the first time and
        its metadata, not a second one: the insert reports the existing row. The checks
        run in the spec's order: the waiting room's token, then bot, fraud and velocity
        (``checks``), then the purchase limits, counted in the insert's transaction.
        """
        principal, request = attempt.principal, attempt.request
        existing = await self.payments.find_by_idempotency_key(
            request.tenant_id, request.user_id, request.idempotency_key
        )
        if existing is not None:
            return existing, await self._metadata_for_retry(existing, request)
        venue, event = await venue_and_event(
            self.catalog, request.tenant_id, request.venue_id, request.event_id
        )
        if request.subtotal.currency != venue.currency:
            raise InvalidInputError(
                "Validation failed",
                code="UNSUPPORTED_CURRENCY",
                details=(("tickets", f"this venue sells in {venue.currency.code}"),),
            )
        # The catalog's prices, not the client's: a line priced otherwise is refused
        # before anything is checked, held or recorded (the UI shows the new price).
        await price_lines(
            self.tickets,
            request.tenant_id,
            event.id,
            [
                AskedLine(
                    ticket_type_id=line.ticket_type_id,
                    quantity=line.quantity,
                    shown_price=line.price,
                )
                for line in request.tickets
            ],
        )
        config, claims = (None, None)
        if self.high_demand is not None:
            config, claims = await self.high_demand.admission(
                principal, request.event_id, attempt.access_token
            )
        # An event without its own limits holds to the spec's (tt_high_demand's defaults).
        limits = config.limits if config is not None else PurchaseLimits()
        attempt = attrs.evolve(attempt, high_demand=config is not None and config.enabled)
        try:
            # The order's own size needs no count: refuse it before anything is recorded.
            check_purchase(limits, requested_tickets=request.ticket_count, held=NOTHING_HELD)
            decision: CheckResult = combine([await check(attempt) for check in self.checks])
        except RefusedError:
            if config is not None and claims is not None and self.high_demand is not None:
                # A bot, a fraud decision, an order over the limit: the place in line goes
                # to the next buyer and the token stops working. (A 429 or a 503 keeps
                # both: the same request may pass when retried.)
                await self.high_demand.expel(config, principal.user_id)
            raise
        now = self.clock()
        quote = await self.fees.quote(
            venue, ticket_price=request.subtotal, ticket_count=request.ticket_count, now=now
        )
        record = PaymentRecord(
            id=uuid.uuid4(),
            tenant_id=request.tenant_id,
            user_id=request.user_id,
            venue_id=venue.id,
            event_id=event.id,
            status=PaymentStatus.PROCESSING,
            amount=request.subtotal,
            total=quote.breakdown.total,
            platform_fee=quote.breakdown.amount_of(FeeLineKind.PLATFORM_FEE),
            gas_fee=quote.breakdown.amount_of(FeeLineKind.GAS_ESTIMATE),
            tax_amount=quote.tax.total,
            processing_cost=quote.breakdown.processing_cost,
            refunded=Money(0, request.subtotal.currency),
            provider=self.provider.name,
            provider_payment_id=None,
            decline_code=None,
            failure_message=None,
            idempotency_key=request.idempotency_key,
            created_at=now,
            completed_at=None,
        )
        metadata = _metadata(request, quote, decision, payment_id=record.id)
        holds = hold_ids(metadata["tickets"])
        # The tickets (and named seats) are this buyer's before the payment is recorded;
        # a crash from here on leaves only holds, which expire.
        await self._hold(record, request, holds, expires_at=now + self.hold_for)
        try:
            if config is not None and claims is not None and self.high_demand is not None:
                # Every check passed: now the token is used up (one payment per token),
                # and its queue entry travels with the payment so whoever settles it
                # frees the slot.
                await self.high_demand.use(config, attempt.access_token, principal.user_id)
                metadata["queueId"] = claims.queue_id
            stored = await self.payments.insert_processing(
                record,
                metadata,
                payment_method_id=request.payment_method_id,
                device_fingerprint=request.device_fingerprint,
                ticket_count=request.ticket_count,
                address_fingerprint=request.address_fingerprint,
                limits=limits,
            )
        except BaseException:
            await self._release_quietly(record.tenant_id, holds)
            if claims is not None and "queueId" in metadata:
                # Refused after its token was used up (a purchase limit): the slot goes
                # to the next buyer now rather than when the token would have expired.
                await self._free_slot(
                    request.tenant_id, request.event_id, claims.queue_id, purchased=False
                )
            raise
        if stored.id != record.id:  # a concurrent twin recorded it first, with its holds
            await self._release_quietly(record.tenant_id, holds)
            return stored, await self._metadata_for_retry(stored, request)
        return stored, metadata

    async def _hold(
        self,
        record: PaymentRecord,
        request: PaymentRequest,
        holds: Sequence[uuid.UUID],
        *,
        expires_at: dt.datetime,
    ) -> None:
        """Hold every line for the buyer, or none: a line refused (sold out, a seat
        taken) gives back the lines held before it."""
        done: list[uuid.UUID] = []
        try:
            for line, hold_id in zip(request.tickets, holds, strict=True):
                await self.tickets.hold(
                    record.tenant_id,
                    hold_id=hold_id,
                    event_id=record.event_id,
                    ticket_type_id=line.ticket_type_id,
                    user_id=record.user_id,
                    quantity=line.quantity,
                    seat_numbers=line.seat_numbers,
                    expires_at=expires_at,
                )
                done.append(hold_id)
        except BaseException:
            await self._release_quietly(record.tenant_id, done)
            raise

    async def _release_quietly(self, tenant_id: uuid.UUID, holds: Sequence[uuid.UUID]) -> None:
        """Give back holds of a payment that was never recorded. Best effort: what this
        misses, the release_ticket_holds job gives back when the holds expire."""
        for hold_id in holds:
            try:
                await self.tickets.release(tenant_id, hold_id)
            except Exception:  # expiry is the fallback; the refusal stands
                _log.warning("could not release ticket hold %s; it will expire", hold_id)

    async def _metadata_for_retry(
        self, existing: PaymentRecord, request: PaymentRequest
    ) -> Mapping[str, Any]:
        """The stored payment's metadata, if ``request`` asks for the same thing.

        The payment row keeps its key forever (the idempotency record lapses after a day),
        so a key reused for another order must be refused here too, not answered with the
        old payment.
        """
        metadata = await self.payments.metadata_of(existing.tenant_id, existing.id)
        if metadata.get("requestHash", request.fingerprint) != request.fingerprint:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was used for another payment; "
                "generate a new key for a new request"
            )
        return metadata

    async def _settle(
        self,
        record: PaymentRecord,
        metadata: Mapping[str, Any],
        charge: Charge,
        answer: AnswerInTransaction | None = None,
    ) -> PaymentOutcome:
        """Record the processor's answer. A payment that came through a waiting room and
        is now final (however it got there: this call, a retry, a webhook) frees its slot
        when it completed, and re-arms the buyer's token when it failed."""
        outcome = await self._record_outcome(record, metadata, charge, answer)
        queue_entry = metadata.get("queueId")
        status = outcome.record.status
        if queue_entry and self.high_demand is not None and status in _FINAL_FOR_THE_ROOM:
            if status is PaymentStatus.COMPLETED:
                await self._free_slot(
                    record.tenant_id, record.event_id, str(queue_entry), purchased=True
                )
            else:
                # Declined, or a 3-D Secure challenge failed or abandoned: the buyer is
                # not sent to the back of the line; they poll for a fresh token and try
                # again while their slot lasts.
                await self.high_demand.rearm(record.tenant_id, record.event_id, str(queue_entry))
        return outcome

    async def _record_outcome(
        self,
        record: PaymentRecord,
        metadata: Mapping[str, Any],
        charge: Charge,
        answer: AnswerInTransaction | None,
    ) -> PaymentOutcome:
        tenant = record.tenant_id
        if charge.status is ChargeStatus.SUCCEEDED:
            entry = payment_captured_entry(
                entry_id=uuid.uuid4(),
                tenant_id=tenant,
                transaction_id=record.id,
                venue_id=record.venue_id,
                currency=record.total.currency,
                ticket_price=record.amount,
                platform_fee=record.platform_fee,
                gas=record.gas_fee,
                tax_lines=[
                    (jurisdiction, Money(amount, record.total.currency))
                    for jurisdiction, amount in metadata["taxLines"]
                ],
                processing_cost=record.processing_cost,
            )
            await self.accounts.ensure_accounts(p.account for p in entry.postings)
        settled: PaymentRecord | None = None
        async with self.uow() as tx:
            await tx.payments.record_intent(
                tenant_id=tenant,
                transaction_id=record.id,
                venue_id=record.venue_id,
                provider=charge.provider,
                provider_payment_id=charge.provider_payment_id,
                amount=charge.amount,
                platform_fee=record.platform_fee,
                status=charge.status.value,
            )
            if charge.status is ChargeStatus.SUCCEEDED:
                completed_at = self.clock()
                moved = await tx.payments.transition(
                    tenant,
                    record.id,
                    PaymentEvent.SUCCEEDED,
                    PaymentStatus.COMPLETED,
                    stripe_payment_intent_id=charge.provider_payment_id,
                    completed_at=completed_at,
                )
                if moved:
                    await tx.ledger.post(entry)
                    job = await tx.payments.queue_mint(
                        tenant_id=tenant,
                        payment_id=record.id,
                        ticket_ids=_ticket_ids(record.id, metadata["tickets"]),
                        venue_id=record.venue_id,
                        event_id=record.event_id,
                        blockchain=metadata["blockchain"],
                    )
                    await tx.outbox.append(
                        tenant_id=tenant,
                        event_type="payment.completed",
                        aggregate_type="payment",
                        aggregate_id=record.id,
                        data=_event_data(record, metadata, charge, mint_job_id=job),
                    )
                    if self.tax_records is not None:
                        await self.tax_records.payment_settled(tx.tax, record, metadata)
                    # Last: the ticket type's row is the on-sale's hottest; its lock is
                    # held only until the commit that follows.
                    await _confirm_tickets(tx, record, metadata)
                    settled = attrs.evolve(
                        record,
                        status=PaymentStatus.COMPLETED,
                        provider_payment_id=charge.provider_payment_id,
                        completed_at=completed_at,
                        mint_job_id=job,
                        mint_status="queued",
                    )
            elif charge.status is ChargeStatus.DECLINED:
                moved = await tx.payments.transition(
                    tenant,
                    record.id,
                    PaymentEvent.FAILED,
                    PaymentStatus.FAILED,
                    stripe_payment_intent_id=charge.provider_payment_id or None,
                    decline_code=charge.decline_code,
                    failure_message=charge.failure_message,
                )
                if moved:
                    await tx.tickets.release(tenant, hold_ids(metadata["tickets"]))
                    await tx.outbox.append(
                        tenant_id=tenant,
                        event_type="payment.failed",
                        aggregate_type="payment",
                        aggregate_id=record.id,
                        data=_event_data(record, metadata, charge),
                    )
                    settled = attrs.evolve(
                        record,
                        status=PaymentStatus.FAILED,
                        provider_payment_id=charge.provider_payment_id or None,
                        decline_code=charge.decline_code,
                        failure_message=charge.failure_message,
                    )
            else:
                # Requires action, cancelled, or accepted but not decided (processing: a
                # webhook or reconciliation finishes it later): the status moves, no money.
                event, target = _UNSETTLED_MOVES[charge.status]
                moved = await tx.payments.transition(
                    tenant,
                    record.id,
                    event,
                    target,
                    stripe_payment_intent_id=charge.provider_payment_id,
                )
                if moved and target is PaymentStatus.CANCELLED:
                    await tx.tickets.release(tenant, hold_ids(metadata["tickets"]))
                    await tx.outbox.append(
                        tenant_id=tenant,
                        event_type="payment.cancelled",
                        aggregate_type="payment",
                        aggregate_id=record.id,
                        data=_event_data(record, metadata, charge),
                    )
            if settled is not None and answer is not None:
                outcome = PaymentOutcome(record=settled, fees=metadata["fees"], charge=charge)
                stored = answer.answer_for(outcome)
                if stored is not None:
                    await tx.answers.finish(answer.scope, stored.status, stored.body)
                    return attrs.evolve(outcome, answer=stored)
        if settled is None:
            # Someone else finished it (a concurrent retry): read what they recorded.
            settled = await self.payments.get(tenant, record.id)
            if settled is None:  # pragma: no cover - it was recorded before the charge
                raise RuntimeError(f"payment {record.id} vanished")
        return PaymentOutcome(record=settled, fees=metadata["fees"], charge=charge)


def _metadata(
    request: PaymentRequest, quote: FeeQuote, decision: CheckResult, *, payment_id: uuid.UUID
) -> dict[str, Any]:
    breakdown = quote.breakdown
    return {
        "fees": {
            **{kind.value: breakdown.amount_of(kind).minor for kind in FeeLineKind},
            "total": breakdown.total.minor,
        },
        "taxLines": [[line.jurisdiction, line.amount.minor] for line in quote.tax.lines],
        "tax": tax_metadata(quote.tax, quote.venue.address.state),
        "tier": breakdown.tier.value,
        "blockchain": quote.recommended_blockchain.value,
        "paymentMethodId": request.payment_method_id,
        "paymentMethodType": request.payment_method_type,
        "tickets": [
            {
                "ticketTypeId": str(line.ticket_type_id),
                "quantity": line.quantity,
                "price": line.price.minor,
                "seatNumbers": list(line.seat_numbers),
                # Derived from the payment, so a retry holds (and confirms) the same hold.
                "holdId": str(uuid.uuid5(payment_id, f"hold:{index}")),
            }
            for index, line in enumerate(request.tickets)
        ],
        "requestHash": request.fingerprint,
        "requireThreeDSecure": decision.require_three_d_secure,
        "review": decision.flag_for_review,
        "checkReasons": list(decision.reasons),
    }


async def _confirm_tickets(
    tx: PaymentsTransaction, record: PaymentRecord, metadata: Mapping[str, Any]
) -> None:
    """The paid payment's holds become sold tickets. A hold that expired while the
    processor decided and whose tickets went to someone else meanwhile cannot be: the
    payment stays paid (the money moved) and ``payment.tickets_unavailable`` asks for
    its refund; the tickets are never sold twice."""
    lost = await tx.tickets.confirm(record.tenant_id, hold_ids(metadata["tickets"]))
    if lost:
        _log.error("payment %s completed but its tickets were sold meanwhile", record.id)
        await tx.outbox.append(
            tenant_id=record.tenant_id,
            event_type="payment.tickets_unavailable",
            aggregate_type="payment",
            aggregate_id=record.id,
            data={
                "paymentId": str(record.id),
                "holdIds": [str(hold) for hold in lost],
                "reason": "the holds expired before the processor decided and their "
                "tickets were sold meanwhile; refund the payment",
            },
        )


def hold_ids(tickets: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    """The ticket holds of a payment's lines (payments recorded before holds have none)."""
    return [uuid.UUID(str(line["holdId"])) for line in tickets if line.get("holdId")]


def _ticket_ids(payment_id: uuid.UUID, tickets: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    # Deterministic: a retried mint job names the same tickets.
    return [
        uuid.uuid5(payment_id, f"{index}:{seat}")
        for index, line in enumerate(tickets)
        for seat in range(int(line["quantity"]))
    ]


def _event_data(
    record: PaymentRecord,
    metadata: Mapping[str, Any],
    charge: Charge,
    *,
    mint_job_id: uuid.UUID | None = None,
) -> dict[str, object]:
    data: dict[str, object] = {
        "paymentId": str(record.id),
        "userId": str(record.user_id),
        "venueId": str(record.venue_id),
        "eventId": str(record.event_id),
        "amount": record.amount.minor,
        "total": record.total.minor,
        "currency": record.total.currency.code,
        "fees": dict(metadata["fees"]),
        "provider": charge.provider,
        "providerPaymentId": charge.provider_payment_id,
        "tickets": list(metadata["tickets"]),
    }
    if mint_job_id is not None:
        data["mintJobId"] = str(mint_job_id)
    if charge.decline_code is not None:
        data["declineCode"] = charge.decline_code
    return data
