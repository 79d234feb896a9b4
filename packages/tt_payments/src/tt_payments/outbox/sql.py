"""The outbox and its dead-letter table in PostgreSQL: the relay's ``OutboxStore``, and
the ``OutboxWriter`` a context's transaction appends to.

``claim`` selects due rows ``FOR UPDATE SKIP LOCKED`` through the partial index on
``(next_attempt_at, id) WHERE processed_at IS NULL`` and keeps its transaction open while
the relay publishes, so a row is held by one relay until its outcome commits. Rows
written by transactions that have not committed are invisible to it (MVCC), so an event
is never published for a change that could still roll back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_payments.db import raw
from tt_payments.db.tables.outbox import outbox, outbox_dlq
from tt_payments.db.tables.subscribers import event_deliveries, event_subscribers
from tt_payments.outbox.records import ENVELOPE_VERSION, DeadLetter, OutboxEvent, OutboxStatus

# A relay that stalls mid-batch (a hung broker call) must not hold its rows forever: the
# server ends the session and the rows become claimable again (published again at worst).
_CLAIM_IDLE_TIMEOUT = "60s"
_KEY = (outbox.c.tenant_id, outbox.c.id)


class SqlOutboxClaim:
    def __init__(self, connection: AsyncConnection, events: Sequence[OutboxEvent]) -> None:
        self._connection = connection
        self._events = tuple(events)

    @property
    def events(self) -> Sequence[OutboxEvent]:
        return self._events

    async def published(self, events: Sequence[OutboxEvent]) -> None:
        if not events:
            return
        now = await self._clock()
        await self._connection.execute(
            sa.update(outbox)
            .where(sa.tuple_(*_KEY).in_([(event.tenant_id, event.row_id) for event in events]))
            .values(
                processed_at=now,
                last_attempt_at=now,
                attempts=outbox.c.attempts + 1,
                last_error=None,
            )
        )

    async def retry_later(self, event: OutboxEvent, error: str, delay: dt.timedelta) -> None:
        now = await self._clock()
        await self._connection.execute(
            sa.update(outbox)
            .where(*_row(event))
            .values(
                attempts=outbox.c.attempts + 1,
                last_attempt_at=now,
                next_attempt_at=now + delay,
                last_error=error,
            )
        )

    async def _clock(self) -> dt.datetime:
        """The database's time now: ``now()`` is when the claim began, and two
        ``clock_timestamp()`` calls in one statement differ."""
        clock = sa.select(sa.func.clock_timestamp(type_=sa.DateTime(timezone=True)))
        return (await self._connection.execute(clock)).scalar_one()

    async def dead_letter(self, event: OutboxEvent, error: str) -> None:
        moved = (
            sa.delete(outbox)
            .where(*_row(event))
            .returning(
                outbox.c.tenant_id,
                outbox.c.id,
                outbox.c.event_id,
                outbox.c.aggregate_id,
                outbox.c.aggregate_type,
                outbox.c.event_type,
                outbox.c.payload,
                outbox.c.attempts,
                outbox.c.created_at,
            )
            .cte("moved")
        )
        await self._connection.execute(
            sa.insert(outbox_dlq).from_select(
                [
                    "tenant_id",
                    "original_id",
                    "event_id",
                    "aggregate_id",
                    "aggregate_type",
                    "event_type",
                    "payload",
                    "attempts",
                    "last_error",
                    "created_at",
                    "moved_to_dlq_at",
                ],
                sa.select(
                    moved.c.tenant_id,
                    moved.c.id,
                    moved.c.event_id,
                    moved.c.aggregate_id,
                    moved.c.aggregate_type,
                    moved.c.event_type,
                    moved.c.payload,
                    moved.c.attempts + 1,
                    sa.literal(error, sa.Text),
                    moved.c.created_at,
                    sa.func.clock_timestamp(),
                ),
            )
        )


def _append_statement() -> sa.Insert:
    """One statement: the outbox row, and a delivery of it to each of the tenant's event
    subscribers that wants its type (none, most of the time), so deliveries commit with
    the change they announce and exist before any later event of the same aggregate."""
    appended = (
        sa.insert(outbox)
        .values(
            tenant_id=sa.bindparam("tenant_id"),
            event_id=sa.bindparam("event_id"),
            aggregate_id=sa.bindparam("aggregate_id"),
            aggregate_type=sa.bindparam("aggregate_type"),
            event_type=sa.bindparam("event_type"),
            payload=sa.bindparam("payload", type_=outbox.c.payload.type),
        )
        .returning(*outbox.c)
        .cte("appended")
    )
    occurred_at = sa.func.to_char(
        sa.func.timezone("UTC", appended.c.created_at),
        sa.literal_column('\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\''),
    )
    envelope = sa.func.jsonb_build_object(
        "id",
        sa.cast(appended.c.event_id, sa.Text),
        "type",
        appended.c.event_type,
        "version",
        ENVELOPE_VERSION,
        "occurredAt",
        occurred_at,
        "tenantId",
        sa.cast(appended.c.tenant_id, sa.Text),
        "aggregateType",
        appended.c.aggregate_type,
        "aggregateId",
        sa.cast(appended.c.aggregate_id, sa.Text),
        "data",
        appended.c.payload,
    )
    wanted = sa.select(
        appended.c.tenant_id,
        event_subscribers.c.id,
        appended.c.id,
        appended.c.event_id,
        # Events about a payment (its refunds' too) reach a subscriber in the order they
        # were committed: ordered by the payment, else by their own aggregate.
        sa.func.coalesce(
            sa.cast(appended.c.payload["paymentId"].astext, UUID(as_uuid=True)),
            appended.c.aggregate_id,
        ),
        appended.c.event_type,
        envelope,
    ).where(
        event_subscribers.c.tenant_id == appended.c.tenant_id,
        sa.or_(
            sa.func.cardinality(event_subscribers.c.event_types) == 0,
            appended.c.event_type == sa.any_(event_subscribers.c.event_types),
        ),
    )
    return sa.insert(event_deliveries).from_select(
        [
            "tenant_id",
            "subscriber_id",
            "outbox_id",
            "event_id",
            "ordering_key",
            "event_type",
            "envelope",
        ],
        wanted,
    )


_INSERT_EVENT = raw.RawStatement(_append_statement())


async def append_event(
    connection: AsyncConnection,
    *,
    tenant_id: uuid.UUID,
    event_type: str,
    aggregate_type: str,
    aggregate_id: uuid.UUID,
    data: Mapping[str, object],
) -> uuid.UUID:
    """Add an event to the outbox in the caller's transaction; it is published after
    that transaction commits (and never if it rolls back)."""
    event_id = uuid.uuid4()
    await (await raw.on(connection)).execute(
        _INSERT_EVENT,
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "aggregate_id": aggregate_id,
            "aggregate_type": aggregate_type,
            "event_type": event_type,
            "payload": dict(data),
        },
    )
    return event_id


class SqlOutboxWriter:
    """``OutboxWriter`` on one open transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def append(
        self,
        *,
        tenant_id: uuid.UUID,
        event_type: str,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        data: Mapping[str, object],
    ) -> uuid.UUID:
        return await append_event(
            self._connection,
            tenant_id=tenant_id,
            event_type=event_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            data=data,
        )


class SqlOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @contextlib.asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[SqlOutboxClaim]:
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.text(f"SET LOCAL idle_in_transaction_session_timeout = '{_CLAIM_IDLE_TIMEOUT}'")
            )
            rows = await connection.execute(
                sa.select(outbox)
                .where(outbox.c.processed_at.is_(None), outbox.c.next_attempt_at <= sa.func.now())
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            yield SqlOutboxClaim(connection, [_event(row) for row in rows.mappings()])

    async def status(self, tenant_id: uuid.UUID | None = None) -> OutboxStatus:
        pending = sa.select(
            sa.func.count(),
            sa.func.count().filter(outbox.c.next_attempt_at <= sa.func.now()),
            sa.func.count().filter(outbox.c.attempts > 0),
            sa.func.min(outbox.c.created_at),
            sa.func.now(),
        ).where(outbox.c.processed_at.is_(None))
        dead = sa.select(sa.func.count()).select_from(outbox_dlq)
        if tenant_id is not None:
            pending = pending.where(outbox.c.tenant_id == tenant_id)
            dead = dead.where(outbox_dlq.c.tenant_id == tenant_id)
        async with self._engine.connect() as connection:
            count, due, retrying, oldest, now = (await connection.execute(pending)).one()
            dead_letters = (await connection.execute(dead)).scalar_one()
        return OutboxStatus(
            pending=count,
            due=due,
            retrying=retrying,
            oldest_pending_at=oldest,
            oldest_pending_age=max(now - oldest, dt.timedelta(0)) if oldest else None,
            dead_letters=dead_letters,
        )

    async def dead_letters(
        self, tenant_id: uuid.UUID | None = None, *, limit: int = 100
    ) -> list[DeadLetter]:
        query = sa.select(outbox_dlq).order_by(outbox_dlq.c.id.desc()).limit(limit)
        if tenant_id is not None:
            query = query.where(outbox_dlq.c.tenant_id == tenant_id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [
            DeadLetter(
                id=row["id"],
                tenant_id=row["tenant_id"],
                original_id=row["original_id"],
                event_id=row["event_id"],
                event_type=row["event_type"],
                attempts=row["attempts"],
                last_error=row["last_error"],
                occurred_at=row["created_at"],
                moved_at=row["moved_to_dlq_at"],
            )
            for row in rows
        ]

    async def redrive(self, ids: Sequence[int] | None, tenant_id: uuid.UUID | None = None) -> int:
        # One statement: the dead letters are deleted and reinserted together, so two
        # operators redriving at once move each row once (the second finds it gone).
        conditions: list[sa.ColumnElement[bool]] = []
        if ids is not None:
            if not ids:
                return 0
            conditions.append(outbox_dlq.c.id.in_(list(ids)))
        if tenant_id is not None:
            conditions.append(outbox_dlq.c.tenant_id == tenant_id)
        moved = (
            sa.delete(outbox_dlq)
            .where(*conditions)
            .returning(
                outbox_dlq.c.tenant_id,
                outbox_dlq.c.event_id,
                outbox_dlq.c.aggregate_id,
                outbox_dlq.c.aggregate_type,
                outbox_dlq.c.event_type,
                outbox_dlq.c.payload,
                outbox_dlq.c.created_at,
            )
            .cte("moved")
        )
        statement = (
            insert(outbox)
            .from_select(
                [
                    "tenant_id",
                    "event_id",
                    "aggregate_id",
                    "aggregate_type",
                    "event_type",
                    "payload",
                    "created_at",
                    "attempts",
                    "next_attempt_at",
                ],
                sa.select(
                    moved.c.tenant_id,
                    moved.c.event_id,
                    moved.c.aggregate_id,
                    moved.c.aggregate_type,
                    moved.c.event_type,
                    moved.c.payload,
                    moved.c.created_at,
                    sa.literal(0),
                    sa.func.now(),
                ),
            )
            # Already back in the outbox under its event id: the dead letter just goes.
            .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
            .returning(outbox.c.id)
        )
        async with self._engine.begin() as connection:
            moved_back = (await connection.execute(statement)).all()
        return len(moved_back)


def _row(event: OutboxEvent) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    return outbox.c.tenant_id == event.tenant_id, outbox.c.id == event.row_id


def _event(row: sa.RowMapping) -> OutboxEvent:
    return OutboxEvent(
        tenant_id=row["tenant_id"],
        row_id=row["id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        aggregate_type=row["aggregate_type"],
        aggregate_id=row["aggregate_id"],
        data=row["payload"],
        occurred_at=row["created_at"],
        attempts=row["attempts"],
    )
