"""The payments context in PostgreSQL: payment transactions, refunds, intents, mint jobs
and the processor's ordered events.

``SqlPaymentsTransaction`` is what the context's ``SqlUnitOfWork`` binds to its one
database transaction: everything a use case does through it (the state change, the
journal entry, the outbox row, the mint job, the stored answer) commits together or not
at all. State changes are conditional UPDATEs on the current status, so two processes
finishing the same payment cannot both win. ``SqlPayments`` answers the reads and the
short writes that are their own transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_high_demand import PurchaseCounts, PurchaseLimits, check_purchase
from tt_ledger import (
    PAYMENT_CAPTURED_KIND,
    PAYMENT_REFUND_REFERENCE,
    PAYMENT_TRANSACTION_REFERENCE,
    PAYMENT_TRANSITIONS,
    REFUND_COMPLETED_KIND,
    JournalEntry,
    PaymentEvent,
    PaymentStatus,
    RefundStatus,
)
from tt_ledger.payment_states import PAID_STATUSES, REFUNDABLE_STATUSES
from tt_money import Money, currency_for
from tt_payments.clock import utcnow
from tt_payments.db import raw
from tt_payments.db.database import autocommit
from tt_payments.db.tables.payments import (
    nft_mint_queue,
    payment_event_sequence,
    payment_intents,
    payment_refunds,
    payment_transactions,
)
from tt_payments.idempotency.sql import SqlAnswerWriter
from tt_payments.ledger.sql import SqlLedger, SqlLedgerWriter
from tt_payments.outbox.sql import SqlOutboxWriter
from tt_payments.payments.records import PaymentRecord, RefundRecord
from tt_payments.tax.sql import SqlTaxRecordWriter
from tt_payments.tickets.ports import TicketHoldWriter
from tt_payments.tickets.sql import SqlTicketHolds

_SOURCES: dict[tuple[PaymentEvent, PaymentStatus], tuple[str, ...]] = {}
for _source, _target, _event in PAYMENT_TRANSITIONS:
    _SOURCES[(_event, _target)] = (*_SOURCES.get((_event, _target), ()), _source.value)

# Statements on the payment path are built once and executed with parameters: building
# and cache-keying a Core statement per call cost more CPU than the database round trip
# (docs/PERFORMANCE.md). Values always travel as bound parameters.
_PROCESSING_COLUMNS = (
    "tenant_id",
    "id",
    "venue_id",
    "user_id",
    "event_id",
    "amount",
    "currency",
    "status",
    "platform_fee",
    "venue_payout",
    "gas_fee_paid",
    "tax_amount",
    "total_amount",
    "processing_cost",
    "provider",
    "payment_method_id",
    "device_fingerprint",
    "ticket_count",
    "address_fingerprint",
    "metadata",
    "idempotency_key",
    "created_at",
    "updated_at",
)
_INSERT_PROCESSING = raw.RawStatement(
    insert(payment_transactions).on_conflict_do_nothing().returning(payment_transactions.c.id),
    keys=_PROCESSING_COLUMNS,
)
_INSERT_INTENT = insert(payment_intents)
_UPSERT_INTENT = _INSERT_INTENT.on_conflict_do_update(
    index_elements=[
        payment_intents.c.tenant_id,
        payment_intents.c.provider,
        payment_intents.c.stripe_intent_id,
    ],
    set_={
        "status": _INSERT_INTENT.excluded.status,
        "version": payment_intents.c.version + 1,
        "updated_at": sa.func.now(),
    },
)
_INTENT_COLUMNS = (
    "tenant_id",
    "id",
    "transaction_id",
    "provider",
    "stripe_intent_id",
    "amount",
    "currency",
    "status",
    "platform_fee",
    "venue_id",
)
_RAW_UPSERT_INTENT = raw.RawStatement(_UPSERT_INTENT, keys=_INTENT_COLUMNS)
_QUEUE_MINT_JOB = raw.RawStatement(
    insert(nft_mint_queue).on_conflict_do_nothing().returning(nft_mint_queue.c.id),
    keys=("tenant_id", "id", "payment_id", "ticket_ids", "venue_id", "event_id", "blockchain"),
)
_MINT_JOB_OF = raw.RawStatement(
    sa.select(nft_mint_queue.c.id).where(
        nft_mint_queue.c.tenant_id == sa.bindparam("tenant_id"),
        nft_mint_queue.c.payment_id == sa.bindparam("payment_id"),
    )
)
_PAYMENT_WITH_MINT_JOB = sa.select(
    payment_transactions,
    nft_mint_queue.c.id.label("mint_job_id"),
    nft_mint_queue.c.status.label("mint_status"),
    nft_mint_queue.c.transaction_hash.label("mint_transaction_hash"),
).select_from(
    payment_transactions.outerjoin(
        nft_mint_queue,
        sa.and_(
            nft_mint_queue.c.tenant_id == payment_transactions.c.tenant_id,
            nft_mint_queue.c.payment_id == payment_transactions.c.id,
        ),
    )
)
_PAYMENT_BY_ID = _PAYMENT_WITH_MINT_JOB.where(
    payment_transactions.c.tenant_id == sa.bindparam("tenant_id"),
    payment_transactions.c.id == sa.bindparam("id"),
)
_PAYMENT_BY_KEY = raw.RawStatement(
    _PAYMENT_WITH_MINT_JOB.where(
        payment_transactions.c.tenant_id == sa.bindparam("tenant_id"),
        payment_transactions.c.user_id == sa.bindparam("user_id"),
        payment_transactions.c.idempotency_key == sa.bindparam("key"),
    )
)
_METADATA_OF = raw.RawStatement(
    sa.select(payment_transactions.c.metadata).where(
        payment_transactions.c.tenant_id == sa.bindparam("tenant_id"),
        payment_transactions.c.id == sa.bindparam("id"),
    )
)
_PAYMENT_BY_ID_ANY_TENANT = _PAYMENT_WITH_MINT_JOB.where(
    payment_transactions.c.id == sa.bindparam("id")
)
_LINK_ORDER = (
    sa.update(payment_transactions)
    .where(
        payment_transactions.c.tenant_id == sa.bindparam("w_tenant_id"),
        payment_transactions.c.id == sa.bindparam("w_id"),
        sa.or_(
            payment_transactions.c.order_id.is_(None),
            payment_transactions.c.order_id == sa.bindparam("w_order_id"),
        ),
    )
    .values(order_id=sa.bindparam("w_order_id"), updated_at=sa.func.now())
)
# Processor payment ids are unique across processors (Stripe's pi_..., the simulated
# processor's pi_sim_...): a webhook names the payment by it alone.
_PAYMENT_BY_PROVIDER_ID = _PAYMENT_WITH_MINT_JOB.where(
    payment_transactions.c.stripe_payment_intent_id == sa.bindparam("provider_payment_id"),
)
_NEXT_SEQUENCE = (
    sa.update(payment_transactions)
    .where(
        payment_transactions.c.tenant_id == sa.bindparam("w_tenant_id"),
        payment_transactions.c.id == sa.bindparam("w_id"),
    )
    .values(last_sequence_number=payment_transactions.c.last_sequence_number + 1)
    .returning(payment_transactions.c.last_sequence_number, payment_transactions.c.status)
)
_RECORD_EVENT = (
    insert(payment_event_sequence).on_conflict_do_nothing().returning(payment_event_sequence.c.id)
)
_DECIDE_EVENT = sa.update(payment_event_sequence).where(
    payment_event_sequence.c.tenant_id == sa.bindparam("w_tenant_id"),
    payment_event_sequence.c.id == sa.bindparam("w_id"),
    payment_event_sequence.c.status == "held",
)
_TRANSITIONS: dict[tuple[tuple[str, ...], tuple[str, ...]], raw.RawStatement] = {}

# Purchases that hold tickets for the purchase limits: paid, or still in flight. A failed,
# cancelled or fully refunded purchase gives its tickets back.
_PAID = sorted(status.value for status in PAID_STATUSES)
_REFUNDABLE = sorted(status.value for status in REFUNDABLE_STATUSES)
_HOLDING = ("processing", "requires_action", "completed", "partially_refunded")
# The subjects in one statement, locked in the order given (a fixed order, so two
# purchases sharing two subjects cannot deadlock).
_ADVISORY_LOCKS = raw.RawStatement(
    sa.text(
        "SELECT pg_advisory_xact_lock(hashtextextended(subject, 0))"
        " FROM unnest(CAST(:subjects AS text[])) WITH ORDINALITY AS s(subject, n) ORDER BY n"
    )
)
# Each count compares the key its own index holds (migration 0013): no other index answers
# it, so the plan stays one index range however stale the event's statistics are.
_HELD_BY = """
    (SELECT coalesce(sum(ticket_count), 0) FROM payment_transactions
     WHERE (tenant_id::text || ' ' || event_id::text || ' ' || {column})
           = (CAST(:tenant_id AS uuid)::text || ' ' || CAST(:event_id AS uuid)::text
              || ' ' || {value})
       AND id <> :id AND status = ANY(CAST(:holding AS text[])))
"""
_TICKETS_HELD = raw.RawStatement(
    sa.text(
        "SELECT "
        + _HELD_BY.format(column="user_id::text", value="CAST(:user_id AS uuid)::text")
        + " AS by_user, "
        + _HELD_BY.format(column="payment_method_id", value="CAST(:method AS text)")
        + " AS by_method, "
        + _HELD_BY.format(column="address_fingerprint", value="CAST(:address AS text)")
        + " AS by_address"
    )
)


def _transition_statement(sources: tuple[str, ...], columns: tuple[str, ...]) -> raw.RawStatement:
    """UPDATE ... SET status, <columns> WHERE the payment is in one of ``sources``."""
    key = (sources, columns)
    statement = _TRANSITIONS.get(key)
    if statement is None:
        statement = raw.RawStatement(
            sa.update(payment_transactions)
            .where(
                payment_transactions.c.tenant_id == sa.bindparam("w_tenant_id"),
                payment_transactions.c.id == sa.bindparam("w_id"),
                # A guard, never the way in: ``status || ''`` is no indexed expression, so
                # the row is found by its key. As the bare column, stale statistics (a
                # table not analyzed since the on-sale began) made PostgreSQL AND the key
                # with (tenant_id, status), whose index still lists every payment that
                # was ever processing: 17.7 ms a settlement after 100,000 (issue 14).
                payment_transactions.c.status.op("||")(sa.literal_column("''"))
                == sa.any_(sa.bindparam("w_sources", list(sources), type_=ARRAY(sa.String))),
            )
            .values(
                status=sa.bindparam("v_status"),
                updated_at=sa.func.now(),
                **{column: sa.bindparam(f"v_{column}") for column in columns},
            )
        )
        _TRANSITIONS[key] = statement
    return statement


class SqlPaymentWriter:
    """``PaymentWriter`` on one open transaction."""

    __slots__ = ("_connection", "_ledger")

    def __init__(self, connection: AsyncConnection, ledger: SqlLedger) -> None:
        self._connection = connection
        self._ledger = ledger

    async def _raw(self) -> raw.Raw:
        return await raw.on(self._connection)

    async def transition(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        event: PaymentEvent,
        target: PaymentStatus,
        **changes: Any,
    ) -> bool:
        """Move the payment to ``target`` if the state machine allows it from where it is.

        False when it is not in a state this event moves from (already finished by
        someone else, or an invalid move): the caller decides which.
        """
        sources = _SOURCES.get((event, target))
        if not sources:
            raise ValueError(f"{event.value} never leads to {target.value}")
        columns = tuple(sorted(changes))
        moved = await (await self._raw()).execute(
            _transition_statement(sources, columns),
            {
                "w_tenant_id": tenant_id,
                "w_id": transaction_id,
                "v_status": target.value,
                **{f"v_{column}": changes[column] for column in columns},
            },
        )
        return moved == 1

    async def capture_and_refunds(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[JournalEntry, list[JournalEntry]]:
        """The payment's capture entry and the entries of its refunds completed so far."""
        (capture,) = await self._ledger.entries_for(
            self._connection,
            tenant_id,
            reference_type=PAYMENT_TRANSACTION_REFERENCE,
            reference_ids=[transaction_id],
            kind=PAYMENT_CAPTURED_KIND,
        )
        completed = (
            (
                await self._connection.execute(
                    sa.select(payment_refunds.c.id).where(
                        payment_refunds.c.tenant_id == tenant_id,
                        payment_refunds.c.transaction_id == transaction_id,
                        payment_refunds.c.status == RefundStatus.COMPLETED.value,
                    )
                )
            )
            .scalars()
            .all()
        )
        refunds = await self._ledger.entries_for(
            self._connection,
            tenant_id,
            reference_type=PAYMENT_REFUND_REFERENCE,
            reference_ids=list(completed),
            kind=REFUND_COMPLETED_KIND,
        )
        return capture, refunds

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
    ) -> None:
        if not provider_payment_id:
            # A request the processor refused before creating a payment: nothing to track
            # (and "" would merge every such payment into one intent row).
            return
        values = {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "transaction_id": transaction_id,
            "provider": provider,
            "stripe_intent_id": provider_payment_id,
            "amount": amount.minor,
            "currency": amount.currency.code,
            "status": status,
            "platform_fee": platform_fee.minor,
            "venue_id": venue_id,
        }
        await (await self._raw()).execute(_RAW_UPSERT_INTENT, values)

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
        """The payment's mint job: queued now, or the one it has (one per payment), so
        reconciliation can call this to put back a job that went missing."""
        job_id = uuid.uuid4()
        connection = await self._raw()
        inserted = await connection.first(
            _QUEUE_MINT_JOB,
            {
                "tenant_id": tenant_id,
                "id": job_id,
                "payment_id": payment_id,
                "ticket_ids": list(ticket_ids),
                "venue_id": venue_id,
                "event_id": event_id,
                "blockchain": blockchain,
            },
        )
        if inserted is not None:
            return job_id
        existing = await connection.first(
            _MINT_JOB_OF, {"tenant_id": tenant_id, "payment_id": payment_id}
        )
        if existing is None:  # pragma: no cover - the insert conflicted on this job
            raise RuntimeError(f"payment {payment_id} has no mint job after a conflict")
        return uuid.UUID(str(existing["id"]))

    async def reserve_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> bool:
        """Count ``amount`` as refunded if that keeps the total within the capture.

        One conditional UPDATE: concurrent refunds serialize on the row and the loser
        sees the new total, so the sum can never pass the captured amount.
        """
        reserved = await self._connection.execute(
            sa.update(payment_transactions)
            .where(
                payment_transactions.c.tenant_id == tenant_id,
                payment_transactions.c.id == transaction_id,
                payment_transactions.c.status.in_(_REFUNDABLE),
                payment_transactions.c.refunded_amount + amount.minor
                <= payment_transactions.c.total_amount,
            )
            .values(
                refunded_amount=payment_transactions.c.refunded_amount + amount.minor,
                updated_at=sa.func.now(),
            )
        )
        return reserved.rowcount == 1

    async def release_refund(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, amount: Money
    ) -> None:
        await self._connection.execute(
            sa.update(payment_transactions)
            .where(
                payment_transactions.c.tenant_id == tenant_id,
                payment_transactions.c.id == transaction_id,
            )
            .values(refunded_amount=payment_transactions.c.refunded_amount - amount.minor)
        )

    async def insert_refund(
        self,
        refund: RefundRecord,
        *,
        tenant_id: uuid.UUID,
        idempotency_key: uuid.UUID,
        requested_by: uuid.UUID,
        metadata: Mapping[str, object],
    ) -> None:
        values: dict[str, object] = {
            "tenant_id": tenant_id,
            "id": refund.id,
            "transaction_id": refund.transaction_id,
            "amount": refund.amount.minor,
            "currency": refund.amount.currency.code,
            "reason": refund.reason,
            "status": refund.status.value,
            "idempotency_key": idempotency_key,
            "requested_by": requested_by,
            "metadata": dict(metadata),
        }
        # created_at: the database's clock, as the refund's age (the processor key window)
        # is read back from the row.
        await self._connection.execute(sa.insert(payment_refunds).values(**values))

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
        values: dict[str, object] = {"status": target.value, "updated_at": sa.func.now()}
        if provider_refund_id is not None:
            values["stripe_refund_id"] = provider_refund_id
        if failure_reason is not None:
            values["failure_reason"] = failure_reason
        if target is RefundStatus.COMPLETED:
            values["completed_at"] = now
        changed = await self._connection.execute(
            sa.update(payment_refunds)
            .where(
                payment_refunds.c.tenant_id == tenant_id,
                payment_refunds.c.id == refund_id,
                payment_refunds.c.status == source.value,
            )
            .values(**values)
        )
        return changed.rowcount == 1

    async def lock_payment(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
        """Hold the payment's row until this transaction ends (serializes its refunds)."""
        await self._connection.execute(
            sa.select(payment_transactions.c.id)
            .where(
                payment_transactions.c.tenant_id == tenant_id,
                payment_transactions.c.id == transaction_id,
            )
            .with_for_update()
        )

    async def completed_refunds_total(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> int:
        total = (
            await self._connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(payment_refunds.c.amount), 0)).where(
                    payment_refunds.c.tenant_id == tenant_id,
                    payment_refunds.c.transaction_id == transaction_id,
                    payment_refunds.c.status == RefundStatus.COMPLETED.value,
                )
            )
        ).scalar_one()
        return int(total)

    async def refunded_total(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID
    ) -> tuple[int, int]:
        """(refunded so far, captured total) as reserved on the transaction row."""
        row = (
            await self._connection.execute(
                sa.select(
                    payment_transactions.c.refunded_amount, payment_transactions.c.total_amount
                ).where(
                    payment_transactions.c.tenant_id == tenant_id,
                    payment_transactions.c.id == transaction_id,
                )
            )
        ).one()
        return int(row[0]), int(row[1])


HoldsOnConnection = Callable[[AsyncConnection], TicketHoldWriter]
"""How a payments transaction moves ticket holds on its connection (``SqlTicketHolds``:
the local catalog's rows, in the same commit)."""


class SqlPaymentsTransaction:
    """``PaymentsTransaction``: the payment's rows, the ledger, the outbox, the stored
    answer, the tax rows and the local catalog's holds, on one connection."""

    __slots__ = ("answers", "ledger", "outbox", "payments", "tax", "tickets")

    def __init__(
        self,
        connection: AsyncConnection,
        ledger: SqlLedger,
        holds: HoldsOnConnection = SqlTicketHolds,
    ) -> None:
        self.payments = SqlPaymentWriter(connection, ledger)
        self.ledger = SqlLedgerWriter(ledger, connection)
        self.outbox = SqlOutboxWriter(connection)
        self.answers = SqlAnswerWriter(connection)
        self.tax = SqlTaxRecordWriter(connection)
        self.tickets = holds(connection)


def payments_transaction(
    ledger: SqlLedger,
    holds: HoldsOnConnection = SqlTicketHolds,
) -> Callable[[AsyncConnection], SqlPaymentsTransaction]:
    """The ``bind`` of the payments context's ``SqlUnitOfWork``; ``holds`` moves the
    payment's ticket holds (the local catalog's, on the same connection, by default)."""
    return lambda connection: SqlPaymentsTransaction(connection, ledger, holds)


class SqlPayments:
    """``PaymentStore``: each call is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = autocommit(engine)

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
        """Record the payment as ``processing`` before the processor is called.

        If a payment with this idempotency key exists already (a retry, or a concurrent
        twin that won the race), that one is returned instead and nothing is written.

        With ``limits`` (the event's purchase limits), the tickets this buyer, this payment
        method and this address already hold for the event (completed or in flight) are
        counted under advisory locks in the same transaction as the insert, so concurrent
        purchases cannot together pass a limit: PurchaseLimitExceededError, nothing written.
        """
        values = {
            "tenant_id": record.tenant_id,
            "id": record.id,
            "venue_id": record.venue_id,
            "user_id": record.user_id,
            "event_id": record.event_id,
            "amount": record.amount.minor,
            "currency": record.amount.currency.code,
            "status": record.status.value,
            "platform_fee": record.platform_fee.minor,
            "venue_payout": record.amount.minor,
            "gas_fee_paid": record.gas_fee.minor,
            "tax_amount": record.tax_amount.minor,
            "total_amount": record.total.minor,
            "processing_cost": record.processing_cost.minor,
            "provider": record.provider,
            "payment_method_id": payment_method_id,
            "device_fingerprint": device_fingerprint,
            "ticket_count": ticket_count,
            "address_fingerprint": address_fingerprint,
            "metadata": dict(metadata),
            "idempotency_key": record.idempotency_key,
            "created_at": record.created_at,
            "updated_at": record.created_at,
        }
        async with self._engine.begin() as transaction:
            connection = await raw.on(transaction)
            # One round trip (and the COMMIT): the locks, the insert and the counts are
            # sent together; the counts exclude this payment, so they mean the same
            # whether or not the insert found a twin.
            async with connection.pipeline():
                if limits is not None:
                    await _lock_purchase_subjects(
                        connection, record, payment_method_id, address_fingerprint
                    )
                inserted = await connection.cursor_of(_INSERT_PROCESSING, values)
                held = (
                    None
                    if limits is None
                    else await connection.cursor_of(
                        _TICKETS_HELD,
                        _held_parameters(record, payment_method_id, address_fingerprint),
                    )
                )
                won = await inserted.fetchone() is not None
                counts = None if held is None else await held.fetchone()
            if won:
                if limits is not None and counts is not None:
                    check_purchase(
                        limits,
                        requested_tickets=ticket_count,
                        held=_purchase_counts(counts, address_fingerprint),
                    )
                return record
        existing = await self.find_by_idempotency_key(
            record.tenant_id, record.user_id, record.idempotency_key
        )
        if existing is None:  # pragma: no cover - a conflict implies the row exists
            raise RuntimeError("payment insert conflicted but no payment has that key")
        return existing

    async def find_by_idempotency_key(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, key: uuid.UUID | None
    ) -> PaymentRecord | None:
        if key is None:
            return None
        return await self._one(
            _PAYMENT_BY_KEY, {"tenant_id": tenant_id, "user_id": user_id, "key": key}
        )

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
        """Number a provider event of this payment and keep it, ``held`` until decided.

        Returns (event row id, sequence number, the payment's status now), or None when
        this provider event is already recorded. The sequence comes from the payment row,
        whose lock serializes the payment's events.
        """
        row_id = uuid.uuid4()
        async with self._engine.begin() as connection:
            numbered = (
                await connection.execute(
                    _NEXT_SEQUENCE, {"w_tenant_id": tenant_id, "w_id": payment_id}
                )
            ).one()
            inserted = await connection.execute(
                _RECORD_EVENT,
                {
                    "tenant_id": tenant_id,
                    "id": row_id,
                    "payment_id": payment_id,
                    "event_type": event_type,
                    "sequence_number": numbered.last_sequence_number,
                    "event_timestamp": occurred_at,
                    "stripe_event_id": provider_event_id,
                    "idempotency_key": provider_event_id,
                    "payload": dict(payload),
                    "status": "held",
                    "attempts": 0,
                    "created_at": utcnow(),
                },
            )
            if inserted.first() is None:
                await connection.rollback()
                return None
        return row_id, int(numbered.last_sequence_number), PaymentStatus(numbered.status)

    async def decide_event(
        self, tenant_id: uuid.UUID, event_row_id: uuid.UUID, status: str, outcome: str
    ) -> None:
        """Close a held event: ``applied`` or ``ignored``, with what happened."""
        async with self._engine.begin() as connection:
            await connection.execute(
                _DECIDE_EVENT,
                {
                    "w_tenant_id": tenant_id,
                    "w_id": event_row_id,
                    "status": status,
                    "outcome": outcome,
                    "processed_at": utcnow(),
                },
            )

    async def newest_applied_charge_event(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> dt.datetime | None:
        """When the newest charge event applied to this payment happened (processor time)."""
        query = sa.select(sa.func.max(payment_event_sequence.c.event_timestamp)).where(
            payment_event_sequence.c.tenant_id == tenant_id,
            payment_event_sequence.c.payment_id == payment_id,
            payment_event_sequence.c.status == "applied",
            payment_event_sequence.c.event_type.like("payment.%"),
        )
        async with self._reads.connect() as connection:
            newest: dt.datetime | None = (await connection.execute(query)).scalar_one()
        return newest

    async def held_events(
        self,
        limit: int,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None = None,
        payment: tuple[uuid.UUID, uuid.UUID] | None = None,
    ) -> list[dict[str, Any]]:
        """Held events, oldest first (then by id), after the (created_at, id) ``after``;
        only those of ``payment`` (tenant, payment id) when given."""
        seq = payment_event_sequence.c
        query = sa.select(payment_event_sequence).where(seq.status == "held")
        if after is not None:
            query = query.where(sa.tuple_(seq.created_at, seq.id) > sa.tuple_(*after))
        if payment is not None:
            query = query.where(seq.tenant_id == payment[0], seq.payment_id == payment[1])
        query = query.order_by(seq.created_at, seq.id).limit(limit)
        async with self._reads.connect() as connection:
            return [dict(row) for row in (await connection.execute(query)).mappings().all()]

    async def count_held_events(self) -> int:
        query = sa.select(sa.func.count()).where(payment_event_sequence.c.status == "held")
        async with self._reads.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def find_by_provider_payment(self, provider_payment_id: str) -> PaymentRecord | None:
        """The payment the processor knows by this id (see _PAYMENT_BY_PROVIDER_ID)."""
        return await self._one(
            _PAYMENT_BY_PROVIDER_ID, {"provider_payment_id": provider_payment_id}
        )

    async def get_in_any_tenant(self, transaction_id: uuid.UUID) -> PaymentRecord | None:
        """The payment with this id, whichever tenant it is in (internal callers only)."""
        return await self._one(_PAYMENT_BY_ID_ANY_TENANT, {"id": transaction_id})

    async def link_order(
        self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, order_id: uuid.UUID
    ) -> bool:
        """Record the payment's order; False if it already belongs to another order."""
        async with self._engine.begin() as connection:
            linked = await connection.execute(
                _LINK_ORDER,
                {"w_tenant_id": tenant_id, "w_id": transaction_id, "w_order_id": order_id},
            )
        return linked.rowcount == 1

    async def get(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> PaymentRecord | None:
        return await self._one(_PAYMENT_BY_ID, {"tenant_id": tenant_id, "id": transaction_id})

    async def stats_since(self, tenant_id: uuid.UUID, since: dt.datetime) -> dict[str, int]:
        """Counts by outcome and the value of completed payments created since ``since``."""
        statuses = payment_transactions.c.status
        query = sa.select(
            sa.func.count().label("total_payments"),
            sa.func.count().filter(statuses.in_(_PAID)).label("successful"),
            sa.func.count().filter(statuses.in_(["failed", "cancelled"])).label("failed"),
            sa.func.count()
            .filter(statuses.in_(["pending", "processing", "requires_action"]))
            .label("pending"),
            sa.func.coalesce(
                sa.func.sum(payment_transactions.c.total_amount).filter(statuses.in_(_PAID)),
                0,
            ).label("total_revenue"),
        ).where(
            payment_transactions.c.tenant_id == tenant_id,
            payment_transactions.c.created_at >= since,
        )
        async with self._reads.connect() as connection:
            row = (await connection.execute(query)).mappings().one()
        return {key: int(value) for key, value in row.items()}

    async def find_refund(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> RefundRecord | None:
        async with self._reads.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(payment_refunds).where(
                            payment_refunds.c.tenant_id == tenant_id,
                            payment_refunds.c.requested_by == requested_by,
                            payment_refunds.c.idempotency_key == key,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _refund(row)

    async def find_refund_for_provider(
        self,
        tenant_id: uuid.UUID,
        transaction_id: uuid.UUID,
        refund_id: uuid.UUID | None,
        provider_refund_id: str,
    ) -> RefundRecord | None:
        """A refund of this payment: ours by id if given, else by the processor's id."""
        match = (
            payment_refunds.c.id == refund_id
            if refund_id is not None
            else payment_refunds.c.stripe_refund_id == provider_refund_id
        )
        async with self._reads.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(payment_refunds).where(
                            payment_refunds.c.tenant_id == tenant_id,
                            payment_refunds.c.transaction_id == transaction_id,
                            match,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _refund(row)

    async def metadata_of(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> dict[str, Any]:
        async with self._reads.connect() as connection:
            found = await (await raw.on(connection)).first(
                _METADATA_OF, {"tenant_id": tenant_id, "id": transaction_id}
            )
        if found is None:
            raise LookupError(f"payment {transaction_id} has no row")
        return dict(found["metadata"])

    async def _one(
        self, query: sa.Select[Any] | raw.RawStatement, parameters: Mapping[str, object]
    ) -> PaymentRecord | None:
        async with self._reads.connect() as connection:
            if isinstance(query, raw.RawStatement):
                found = await (await raw.on(connection)).first(query, parameters)
                return None if found is None else _record(found)
            row = (await connection.execute(query, parameters)).mappings().first()
        return None if row is None else _record(row)


def _record(row: Mapping[str, Any]) -> PaymentRecord:
    currency = currency_for(row["currency"])

    def money(column: str) -> Money:
        return Money(int(row[column] or 0), currency)

    return PaymentRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        venue_id=row["venue_id"],
        event_id=row["event_id"],
        status=PaymentStatus(row["status"]),
        amount=money("amount"),
        total=money("total_amount"),
        platform_fee=money("platform_fee"),
        gas_fee=money("gas_fee_paid"),
        tax_amount=money("tax_amount"),
        processing_cost=money("processing_cost"),
        refunded=money("refunded_amount"),
        provider=row["provider"],
        provider_payment_id=row["stripe_payment_intent_id"],
        decline_code=row["decline_code"],
        failure_message=row["failure_message"],
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        mint_job_id=row["mint_job_id"],
        mint_status=row["mint_status"],
        mint_transaction_hash=row["mint_transaction_hash"],
        order_id=row["order_id"],
    )


def _refund(row: sa.RowMapping) -> RefundRecord:
    return RefundRecord(
        id=row["id"],
        transaction_id=row["transaction_id"],
        amount=Money(int(row["amount"]), currency_for(row["currency"])),
        status=RefundStatus(row["status"]),
        provider_refund_id=row["stripe_refund_id"],
        reason=row["reason"],
        created_at=row["created_at"],
    )


async def _lock_purchase_subjects(
    connection: raw.Raw,
    record: PaymentRecord,
    payment_method_id: str,
    address_fingerprint: str | None,
) -> None:
    """Serialise purchases of one event by the same buyer, card or address (in a fixed
    order, so two purchases sharing two subjects cannot deadlock)."""
    prefix = f"purchase-limit:{record.tenant_id}:{record.event_id}"
    subjects = [f"{prefix}:user:{record.user_id}", f"{prefix}:method:{payment_method_id}"]
    if address_fingerprint is not None:
        subjects.append(f"{prefix}:address:{address_fingerprint}")
    await connection.send(_ADVISORY_LOCKS, {"subjects": sorted(subjects)})


def _held_parameters(
    record: PaymentRecord, payment_method_id: str, address_fingerprint: str | None
) -> dict[str, object]:
    return {
        "tenant_id": record.tenant_id,
        "event_id": record.event_id,
        "id": record.id,
        "user_id": record.user_id,
        "method": payment_method_id,
        "address": address_fingerprint,
        "holding": list(_HOLDING),
    }


def _purchase_counts(row: Mapping[str, Any], address_fingerprint: str | None) -> PurchaseCounts:
    return PurchaseCounts(
        by_user=int(row["by_user"]),
        by_payment_method=int(row["by_method"]),
        by_address=int(row["by_address"]) if address_fingerprint is not None else 0,
    )
