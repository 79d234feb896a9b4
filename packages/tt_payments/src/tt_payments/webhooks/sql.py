"""The webhook inbox in PostgreSQL: one row per provider event id, written first.

The row is the durable half of deduplication (Redis is the fast half and may be down):
``add`` inserts or reports a duplicate; a failure keeps the row with its attempts and
error for the retry worker, with exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_payments.clock import utcnow
from tt_payments.db.tables.webhooks import webhook_inbox, webhook_inbox_archive
from tt_payments.webhooks.events import ProviderEvent
from tt_payments.webhooks.records import InboxRow

MAX_BACKOFF = dt.timedelta(hours=1)

_ADD = insert(webhook_inbox).on_conflict_do_nothing().returning(webhook_inbox.c.id)
_WHERE = (
    webhook_inbox.c.provider == sa.bindparam("w_provider"),
    webhook_inbox.c.webhook_id == sa.bindparam("w_webhook_id"),
)
_PROCESSED = sa.update(webhook_inbox).where(*_WHERE, webhook_inbox.c.status != "processed")


class SqlWebhookInbox:
    """``WebhookInbox`` in PostgreSQL: each call is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, event: ProviderEvent) -> bool:
        """Store the delivery; False when this provider event id is already stored."""
        now = utcnow()
        async with self._engine.begin() as connection:
            added = await connection.execute(
                _ADD,
                {
                    "provider": event.provider,
                    "webhook_id": event.event_id,
                    "id": uuid.uuid4(),
                    "tenant_id": event.tenant_id,
                    "event_type": event.event_type,
                    "payload": dict(event.payload),
                    "signature": event.signature,
                    "received_at": now,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            return added.first() is not None

    async def mark_processed(self, provider: str, webhook_id: str, outcome: str) -> None:
        now = utcnow()
        async with self._engine.begin() as connection:
            await connection.execute(
                _PROCESSED,
                {
                    "w_provider": provider,
                    "w_webhook_id": webhook_id,
                    "status": "processed",
                    "outcome": outcome,
                    "processed_at": now,
                    "updated_at": now,
                    "error_message": None,
                    "next_attempt_at": None,
                },
            )

    async def mark_failed(self, provider: str, webhook_id: str, error: str) -> None:
        """Count a failed attempt and schedule the next (2^attempts s, at most an hour)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "UPDATE webhook_inbox SET status = 'failed', attempts = attempts + 1,"
                    " error_message = :error, updated_at = now(),"
                    " next_attempt_at = now() + least(power(2, attempts + 1), :cap)"
                    " * interval '1 second'"
                    " WHERE provider = :provider AND webhook_id = :webhook_id"
                    " AND status <> 'processed'"
                ),
                {
                    "error": error[:2000],
                    "cap": int(MAX_BACKOFF.total_seconds()),
                    "provider": provider,
                    "webhook_id": webhook_id,
                },
            )

    async def due(self, limit: int) -> list[InboxRow]:
        """Failed (or never finished) rows whose next attempt is due, oldest first.

        A row stuck ``pending`` for a minute is one whose processing died mid-way.
        """
        query = (
            sa.select(webhook_inbox)
            .where(
                sa.or_(
                    sa.and_(
                        webhook_inbox.c.status == "failed",
                        webhook_inbox.c.next_attempt_at <= sa.func.now(),
                    ),
                    sa.and_(
                        webhook_inbox.c.status == "pending",
                        webhook_inbox.c.received_at
                        < sa.func.now() - sa.text("interval '1 minute'"),
                    ),
                )
            )
            .order_by(webhook_inbox.c.received_at)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_row(row) for row in rows]

    async def status(self) -> dict[str, int]:
        """Rows by status, and how many failed rows are due for a retry now."""
        query = sa.select(
            sa.func.count().filter(webhook_inbox.c.status == "pending").label("pending"),
            sa.func.count().filter(webhook_inbox.c.status == "processed").label("processed"),
            sa.func.count().filter(webhook_inbox.c.status == "failed").label("failed"),
            sa.func.count()
            .filter(
                webhook_inbox.c.status == "failed",
                webhook_inbox.c.next_attempt_at <= sa.func.now(),
            )
            .label("due"),
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().one()
        return {name: int(value) for name, value in row.items()}

    async def get(self, provider: str, webhook_id: str) -> InboxRow | None:
        query = sa.select(webhook_inbox).where(
            webhook_inbox.c.provider == provider, webhook_inbox.c.webhook_id == webhook_id
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _row(row)

    async def cleanup(
        self, *, processed_before: dt.datetime, failed_before: dt.datetime
    ) -> tuple[int, int]:
        """Delete processed rows received before ``processed_before``; move failed rows
        received before ``failed_before`` to webhook_inbox_archive. (deleted, archived)."""
        columns = ", ".join(column.name for column in webhook_inbox.columns)
        async with self._engine.begin() as connection:
            deleted = await connection.execute(
                sa.delete(webhook_inbox).where(
                    webhook_inbox.c.status == "processed",
                    webhook_inbox.c.received_at < processed_before,
                )
            )
            archived = await connection.execute(
                sa.text(
                    f"WITH moved AS (DELETE FROM webhook_inbox WHERE status = 'failed'"  # noqa: S608 - column names from our own table
                    f" AND received_at < :before RETURNING {columns})"
                    f" INSERT INTO {webhook_inbox_archive.name} ({columns})"
                    f" SELECT {columns} FROM moved ON CONFLICT DO NOTHING"
                ),
                {"before": failed_before},
            )
        return int(deleted.rowcount), int(archived.rowcount)


def _row(row: sa.RowMapping) -> InboxRow:
    return InboxRow(
        provider=row["provider"],
        webhook_id=row["webhook_id"],
        event_type=row["event_type"],
        payload=dict(row["payload"]),
        signature=row["signature"],
        status=row["status"],
        attempts=int(row["attempts"]),
        error_message=row["error_message"],
        outcome=row["outcome"],
    )
