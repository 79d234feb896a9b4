"""The storage the payments context needs: its payments and refunds (``PaymentStore``,
each call its own short transaction), and what one of its transactions holds
(``PaymentsTransaction``: the payment's rows, the ledger, the outbox, the request's
stored answer, the tax rows and the ticket holds, committed together)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tt_high_demand import AccessClaims, HighDemandConfig, PurchaseLimits
from tt_ledger import JournalEntry, PaymentEvent, PaymentStatus, RefundStatus
from tt_money import Money
from tt_payments.auth.identity import Principal
from tt_payments.idempotency import AnswerWriter
from tt_payments.ledger.ports import LedgerWriter
from tt_payments.outbox.ports import OutboxWriter
from tt_payments.payments.records import PaymentRecord, RefundRecord
from tt_payments.tax.ports import TaxRecordWriter
from tt_payments.tickets.ports import TicketHoldWriter


class PaymentStore(Protocol):
    """Payments and refunds outside a use case's transaction."""

    async def insert_processing(
        self,
        record: PaymentRecord,
        metadata: Mapping[str, object],
        *,
        payment_method_id: str,
        device_fingerprint: str | None,
        ticket_count: int,
        address_fingerprint: str | None = None,
        limits: PurchaseLimits | None = None,
    ) -> PaymentRecord:
        """Record the payment ``processing`` before the processor is called; a payment
        with the same idempotency key (a retry, a concurrent twin) is returned instead and
        nothing is written. With ``limits``, the tickets the buyer, the card and the
        address already hold for the event are counted in the insert's transaction
        (``PurchaseLimitExceededError``, nothing written)."""
        ...

    async def find_by_idempotency_key(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, key: uuid.UUID | None
    ) -> PaymentRecord | None: ...

    async def get(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> PaymentRecord | None: ...

    async def get_in_any_tenant(self, transaction_id: uuid.UUID) -> PaymentRecord | None:
        """Whichever tenant it is in (internal callers only)."""
        ...

    async def find_by_provider_payment(self, provider_payment_id: str) -> PaymentRecord | None: ...

    async def metadata_of(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> dict[str, Any]:
        """What the payment was recorded with (fees, tax, tickets, checks)."""
        ...

    async def link_order(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, order_id: uuid.UUID
    ) -> bool:
        """Record the payment's order; False if it already belongs to another order."""
        ...

    async def stats_since(self, tenant_id: uuid.UUID, since: dt.datetime) -> dict[str, int]: ...

    async def find_refund(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> RefundRecord | None: ...

    async def find_refund_for_provider(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        refund_id: uuid.UUID | None,
        provider_refund_id: str,
    ) -> RefundRecord | None:
        """A refund of this payment: ours by id if given, else by the processor's id."""
        ...

    async def record_event(
        self,
        *,
        tenant_id: uuid.UUID,
        payment_id: uuid.UUID,
        event_type: str,
        provider_event_id: str,
        occurred_at: dt.datetime,
        payload: Mapping[str, object],
    ) -> tuple[uuid.UUID, int, PaymentStatus] | None:
        """Number a processor event of this payment and keep it ``held``: (row id,
        sequence number, the payment's status now), or None when already recorded."""
        ...

    async def decide_event(
        self, tenant_id: uuid.UUID, event_row_id: uuid.UUID, status: str, outcome: str
    ) -> None: ...

    async def newest_applied_charge_event(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> dt.datetime | None: ...

    async def held_events(
        self,
        limit: int,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None = None,
        payment: tuple[uuid.UUID, uuid.UUID] | None = None,
    ) -> list[dict[str, Any]]: ...

    async def count_held_events(self) -> int: ...


class WaitingRoomGate(Protocol):
    """What a payment asks of the high-demand context: may this buyer pay now (their
    waiting room token), use the token up, and give the slot to the next in line."""

    async def admission(
        self, principal: Principal, event_id: uuid.UUID, token: str | None
    ) -> tuple[HighDemandConfig | None, AccessClaims | None]:
        """The event's settings (None: an ordinary event) and the token's claims (None:
        no waiting room, or no token); refuses a token that is not the buyer's."""
        ...

    async def use(
        self, config: HighDemandConfig, token: str | None, user_id: uuid.UUID
    ) -> AccessClaims:
        """Use the token up: one payment per token."""
        ...

    async def expel(self, config: HighDemandConfig, user_id: uuid.UUID) -> None:
        """Take a refused buyer out of the room (best effort)."""
        ...

    async def release(
        self, tenant_id: uuid.UUID, event_id: uuid.UUID, queue_id: str, *, purchased: bool
    ) -> None:
        """The buyer's slot goes to the next in line (best effort)."""
        ...

    async def rearm(self, tenant_id: uuid.UUID, event_id: uuid.UUID, queue_id: str) -> bool:
        """The buyer's payment failed: they keep the slot and may poll for a fresh token
        until its hold ends (else the slot goes on). Best effort."""
        ...


class FindingsDesk(Protocol):
    """Where the payments context files what it could not apply for a person to review
    (the reconciliation context's findings)."""

    async def file_finding(
        self,
        *,
        tenant_id: uuid.UUID | None,
        kind: str,
        provider: str,
        provider_object_id: str,
        payment_id: uuid.UUID | None,
        details: Mapping[str, Any],
    ) -> bool:
        """Record a difference for review; False when it was already on file."""
        ...


class PaymentWriter(Protocol):
    """A payment's rows inside one transaction. Every status change is conditional on
    the status it moves from, so two finishers of one payment cannot both win."""

    async def transition(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        event: PaymentEvent,
        target: PaymentStatus,
        **changes: Any,
    ) -> bool:
        """Move the payment to ``target`` if the state machine allows ``event`` from where
        it is; False otherwise (finished by someone else, or not a move from there)."""
        ...

    async def record_intent(
        self,
        *,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        venue_id: uuid.UUID,
        provider: str,
        provider_payment_id: str,
        amount: Money,
        platform_fee: Money,
        status: str,
    ) -> None: ...

    async def queue_mint(
        self,
        *,
        tenant_id: uuid.UUID,
        payment_id: uuid.UUID,
        ticket_ids: Sequence[uuid.UUID],
        venue_id: uuid.UUID,
        event_id: uuid.UUID,
        blockchain: str,
    ) -> uuid.UUID:
        """The payment's mint job: queued now, or the one it has (one per payment)."""
        ...

    async def lock_payment(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
        """Hold the payment until the transaction ends (serializes its refunds)."""
        ...

    async def capture_and_refunds(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[JournalEntry, list[JournalEntry]]:
        """The payment's capture entry and the entries of its refunds completed so far."""
        ...

    async def reserve_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> bool:
        """Count ``amount`` as refunded if that keeps the total within the capture."""
        ...

    async def release_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> None: ...

    async def insert_refund(
        self,
        refund: RefundRecord,
        *,
        tenant_id: uuid.UUID,
        idempotency_key: uuid.UUID,
        requested_by: uuid.UUID,
        metadata: Mapping[str, object],
    ) -> None: ...

    async def move_refund(
        self,
        tenant_id: uuid.UUID,
        refund_id: uuid.UUID,
        source: RefundStatus,
        target: RefundStatus,
        *,
        now: dt.datetime,
        provider_refund_id: str | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        """Move the refund from ``source`` to ``target`` (False when it is not in
        ``source``: someone else moved it first). ``completed_at`` is set on completed."""
        ...

    async def completed_refunds_total(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> int: ...

    async def refunded_total(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[int, int]:
        """(refunded so far, captured total) as reserved on the payment."""
        ...


class PaymentsTransaction(Protocol):
    """What one payments transaction holds; everything done through it commits together."""

    @property
    def payments(self) -> PaymentWriter: ...

    @property
    def ledger(self) -> LedgerWriter: ...

    @property
    def outbox(self) -> OutboxWriter: ...

    @property
    def answers(self) -> AnswerWriter: ...

    @property
    def tax(self) -> TaxRecordWriter: ...

    @property
    def tickets(self) -> TicketHoldWriter: ...


__all__ = [
    "FindingsDesk",
    "PaymentStore",
    "PaymentWriter",
    "PaymentsTransaction",
    "WaitingRoomGate",
]
