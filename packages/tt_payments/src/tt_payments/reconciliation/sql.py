"""What reconciliation reads and repairs in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_ledger.payment_states import PAID_STATUSES
from tt_payments.clock import utcnow
from tt_payments.db.tables.outbox import outbox, outbox_dlq
from tt_payments.db.tables.payments import nft_mint_queue, payment_transactions
from tt_payments.db.tables.reconciliation import reconciliation_findings

_PAID = sorted(status.value for status in PAID_STATUSES)
_UNSETTLED = ("pending", "processing", "requires_action")
NIL_TENANT = uuid.UUID(int=0)


class SqlReconciliation:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def orphaned_payments(self, since: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant, payment) of paid payments since ``since`` missing their mint job or
        their ``payment.completed`` event."""
        mint = sa.exists().where(
            nft_mint_queue.c.tenant_id == payment_transactions.c.tenant_id,
            nft_mint_queue.c.payment_id == payment_transactions.c.id,
        )
        event = sa.or_(
            sa.exists().where(
                outbox.c.tenant_id == payment_transactions.c.tenant_id,
                outbox.c.aggregate_id == payment_transactions.c.id,
                outbox.c.event_type == "payment.completed",
            ),
            # Dead-lettered is not missing: it waits for an operator's redrive.
            sa.exists().where(
                outbox_dlq.c.tenant_id == payment_transactions.c.tenant_id,
                outbox_dlq.c.aggregate_id == payment_transactions.c.id,
                outbox_dlq.c.event_type == "payment.completed",
            ),
        )
        query = sa.select(payment_transactions.c.tenant_id, payment_transactions.c.id).where(
            payment_transactions.c.status.in_(_PAID),
            payment_transactions.c.created_at >= since,
            sa.or_(~mint, ~event),
        )
        async with self._engine.connect() as connection:
            return [(row[0], row[1]) for row in (await connection.execute(query)).all()]

    async def has_completed_event(self, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> bool:
        total = 0
        for table in (outbox, outbox_dlq):
            query = sa.select(sa.func.count()).where(
                table.c.tenant_id == tenant_id,
                table.c.aggregate_id == payment_id,
                table.c.event_type == "payment.completed",
            )
            async with self._engine.connect() as connection:
                total += int((await connection.execute(query)).scalar_one())
        return total > 0

    async def reset_stuck_outbox(self, older_than: dt.timedelta) -> int:
        """Unpublished outbox rows older than ``older_than``: made due now; how many."""
        async with self._engine.begin() as connection:
            reset = await connection.execute(
                sa.update(outbox)
                .where(
                    outbox.c.processed_at.is_(None),
                    outbox.c.created_at < sa.func.now() - older_than,
                )
                .values(next_attempt_at=sa.func.now())
            )
        return int(reset.rowcount)

    async def stale_payments(self, older_than: dt.timedelta) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant, payment) still pending, processing or requires_action after the age."""
        query = (
            sa.select(payment_transactions.c.tenant_id, payment_transactions.c.id)
            .where(
                payment_transactions.c.status.in_(_UNSETTLED),
                payment_transactions.c.created_at < sa.func.now() - older_than,
            )
            .order_by(payment_transactions.c.created_at)
        )
        async with self._engine.connect() as connection:
            return [(row[0], row[1]) for row in (await connection.execute(query)).all()]

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
        async with self._engine.begin() as connection:
            filed = await connection.execute(
                insert(reconciliation_findings)
                .values(
                    tenant_id=tenant_id or NIL_TENANT,
                    id=uuid.uuid4(),
                    kind=kind,
                    provider=provider,
                    provider_object_id=provider_object_id,
                    payment_id=payment_id,
                    details=dict(details),
                    status="open",
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing()
                .returning(reconciliation_findings.c.id)
            )
            return filed.first() is not None

    async def open_findings(self, limit: int = 1000) -> list[dict[str, Any]]:
        query = (
            sa.select(reconciliation_findings)
            .where(reconciliation_findings.c.status == "open")
            .order_by(reconciliation_findings.c.created_at)
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(query)).mappings().all()]
