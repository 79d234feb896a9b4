"""The payouts context in PostgreSQL: the rows and their conditional state changes, the
day's total, each venue's payout settings, all on the unit of work's connection."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tt_ledger import PayoutMethod, PayoutStatus
from tt_money import Money, currency_for
from tt_payments.db.tables.ledger import ledger_accounts
from tt_payments.db.tables.payouts import venue_payout_settings, venue_payouts
from tt_payments.ledger.sql import SqlLedger, SqlLedgerWriter
from tt_payments.outbox.sql import SqlOutboxWriter
from tt_payments.payouts.records import PayoutRecord, PayoutSettings

__all__ = ["SqlPayoutRepository", "SqlPayoutsTransaction", "payouts_transaction"]


class SqlPayoutRepository:
    """``PayoutRepository`` on one open transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def insert(self, record: PayoutRecord) -> bool:
        inserted = (
            await self._connection.execute(
                insert(venue_payouts)
                .values(
                    tenant_id=record.tenant_id,
                    id=record.id,
                    venue_id=record.venue_id,
                    currency=record.amount.currency.code,
                    amount=record.amount.minor,
                    fee=record.fee.minor,
                    net=record.net.minor,
                    method=record.method.value,
                    status=record.status.value,
                    provider=record.provider,
                    destination=record.destination,
                    requested_by=record.requested_by,
                    idempotency_key=record.idempotency_key,
                    arrival_earliest=record.arrival_earliest,
                    arrival_latest=record.arrival_latest,
                    created_at=record.created_at,
                    updated_at=record.created_at,
                )
                .on_conflict_do_nothing()
                .returning(venue_payouts.c.id)
            )
        ).first()
        return inserted is not None

    async def lock_status(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutStatus | None:
        status = (
            await self._connection.execute(
                sa.select(venue_payouts.c.status)
                .where(venue_payouts.c.tenant_id == tenant_id, venue_payouts.c.id == payout_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        return None if status is None else PayoutStatus(status)

    async def move(
        self,
        payout: PayoutRecord,
        source: PayoutStatus,
        target: PayoutStatus,
        *,
        now: dt.datetime,
        provider_payout_id: str | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
    ) -> bool:
        values: dict[str, object] = {"status": target.value, "updated_at": now}
        if provider_payout_id is not None:
            # Set once: a later answer never renames the payout.
            values["provider_payout_id"] = sa.func.coalesce(
                venue_payouts.c.provider_payout_id, provider_payout_id
            )
        if failure_code is not None or failure_message is not None:
            values["failure_code"] = failure_code
            values["failure_message"] = failure_message
        if target is PayoutStatus.PAID:
            values["paid_at"] = now
        result = await self._connection.execute(
            sa.update(venue_payouts)
            .where(
                venue_payouts.c.tenant_id == payout.tenant_id,
                venue_payouts.c.id == payout.id,
                venue_payouts.c.status == source.value,
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def get(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutRecord | None:
        return await self._one(
            venue_payouts.c.tenant_id == tenant_id, venue_payouts.c.id == payout_id
        )

    async def by_key(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> PayoutRecord | None:
        return await self._one(
            venue_payouts.c.tenant_id == tenant_id,
            venue_payouts.c.requested_by == requested_by,
            venue_payouts.c.idempotency_key == key,
        )

    async def recent(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        venue_id: uuid.UUID | None = None,
        statuses: Collection[PayoutStatus] = (),
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[PayoutRecord]:
        query = sa.select(venue_payouts)
        if tenant_id is not None:
            query = query.where(venue_payouts.c.tenant_id == tenant_id)
        if venue_id is not None:
            query = query.where(venue_payouts.c.venue_id == venue_id)
        if statuses:
            query = query.where(venue_payouts.c.status.in_(sorted(s.value for s in statuses)))
        order = (
            (venue_payouts.c.updated_at, venue_payouts.c.id)
            if oldest_first
            else (venue_payouts.c.created_at.desc(), venue_payouts.c.id)
        )
        rows = (await self._connection.execute(query.order_by(*order).limit(limit))).mappings()
        return [_record(row) for row in rows.all()]

    async def total_since(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        since: dt.datetime,
        statuses: Collection[PayoutStatus],
    ) -> int:
        return int(
            (
                await self._connection.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(venue_payouts.c.amount), 0)).where(
                        venue_payouts.c.tenant_id == tenant_id,
                        venue_payouts.c.venue_id == venue_id,
                        venue_payouts.c.created_at >= since,
                        venue_payouts.c.status.in_(sorted(s.value for s in statuses)),
                    )
                )
            ).scalar_one()
        )

    async def payable_balances(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        # The maintained balance of each venue's available account; credit-normal, so
        # a venue with funds has a negative one.
        rows = (
            await self._connection.execute(
                sa.select(ledger_accounts.c.owner, ledger_accounts.c.balance).where(
                    ledger_accounts.c.tenant_id == tenant_id,
                    ledger_accounts.c.kind == "venue_available",
                    ledger_accounts.c.balance < 0,
                )
            )
        ).all()
        return [(uuid.UUID(row.owner), -int(row.balance)) for row in rows]

    async def settings(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> PayoutSettings | None:
        row = (
            await self._connection.execute(
                sa.select(venue_payout_settings).where(
                    venue_payout_settings.c.tenant_id == tenant_id,
                    venue_payout_settings.c.venue_id == venue_id,
                )
            )
        ).first()
        if row is None:
            return None
        return PayoutSettings(destination=row.destination, threshold_minor=int(row.threshold))

    async def put_settings(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        settings: PayoutSettings,
        *,
        now: dt.datetime,
    ) -> None:
        values = {
            "destination": settings.destination,
            "threshold": settings.threshold_minor,
            "updated_at": now,
        }
        statement = insert(venue_payout_settings).values(
            tenant_id=tenant_id, venue_id=venue_id, **values
        )
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id", "venue_id"], set_=values)
        )

    async def _one(self, *where: sa.ColumnElement[bool]) -> PayoutRecord | None:
        row = (
            (await self._connection.execute(sa.select(venue_payouts).where(*where)))
            .mappings()
            .first()
        )
        return None if row is None else _record(row)


class SqlPayoutsTransaction:
    """``PayoutsTransaction``: the payouts, the ledger and the outbox on one connection."""

    __slots__ = ("ledger", "outbox", "payouts")

    def __init__(self, connection: AsyncConnection, ledger: SqlLedger) -> None:
        self.payouts = SqlPayoutRepository(connection)
        self.ledger = SqlLedgerWriter(ledger, connection)
        self.outbox = SqlOutboxWriter(connection)


def payouts_transaction(ledger: SqlLedger) -> Callable[[AsyncConnection], SqlPayoutsTransaction]:
    """The ``bind`` of the payouts context's ``SqlUnitOfWork``."""
    return lambda connection: SqlPayoutsTransaction(connection, ledger)


def _record(row: sa.RowMapping) -> PayoutRecord:
    currency = currency_for(row["currency"])
    return PayoutRecord(
        tenant_id=row["tenant_id"],
        id=row["id"],
        venue_id=row["venue_id"],
        amount=Money(int(row["amount"]), currency),
        fee=Money(int(row["fee"]), currency),
        net=Money(int(row["net"]), currency),
        method=PayoutMethod(row["method"]),
        status=PayoutStatus(row["status"]),
        provider=row["provider"],
        provider_payout_id=row["provider_payout_id"],
        destination=row["destination"],
        requested_by=row["requested_by"],
        idempotency_key=row["idempotency_key"],
        arrival_earliest=row["arrival_earliest"],
        arrival_latest=row["arrival_latest"],
        failure_code=row["failure_code"],
        failure_message=row["failure_message"],
        created_at=row["created_at"],
        paid_at=row["paid_at"],
    )
