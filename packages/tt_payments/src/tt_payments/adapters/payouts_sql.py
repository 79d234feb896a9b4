"""Venue payouts in PostgreSQL: the rows, their conditional state changes, the day's
total, and each venue's payout destination and threshold."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_ledger import PayoutMethod, PayoutStatus
from tt_money import Money, currency_for
from tt_payments.adapters.ledger_sql import SqlLedger
from tt_payments.adapters.tables import ledger_accounts, venue_payout_settings, venue_payouts

# A day's payouts that count against the daily limit: every one not given back.
_COUNTED = ("pending", "in_transit", "paid")


@attrs.frozen(kw_only=True)
class PayoutRecord:
    """A row of venue_payouts."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    venue_id: uuid.UUID
    amount: Money
    fee: Money
    net: Money
    method: PayoutMethod
    status: PayoutStatus
    provider: str
    provider_payout_id: str | None
    destination: str
    requested_by: uuid.UUID
    idempotency_key: uuid.UUID | None
    arrival_earliest: dt.datetime
    arrival_latest: dt.datetime
    failure_code: str | None
    failure_message: str | None
    created_at: dt.datetime
    paid_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class PayoutSettings:
    destination: str
    """The venue's account at the payout provider (``acct_...``)."""
    threshold_minor: int
    """``tt payouts run`` pays the venue when its payable balance is above this (minor
    units of the venue's currency)."""


class SqlPayouts:
    def __init__(self, engine: AsyncEngine, ledger: SqlLedger) -> None:
        self.engine = engine
        self.ledger = ledger

    async def paid_today(
        self,
        connection: AsyncConnection,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        day_start: dt.datetime,
    ) -> int:
        """Minor units of the venue's payouts since ``day_start`` not failed or canceled."""
        return int(
            (
                await connection.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(venue_payouts.c.amount), 0)).where(
                        venue_payouts.c.tenant_id == tenant_id,
                        venue_payouts.c.venue_id == venue_id,
                        venue_payouts.c.created_at >= day_start,
                        venue_payouts.c.status.in_(_COUNTED),
                    )
                )
            ).scalar_one()
        )

    async def insert(self, connection: AsyncConnection, record: PayoutRecord) -> bool:
        """False when the requester already has a payout under this Idempotency-Key."""
        inserted = (
            await connection.execute(
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

    async def transition(
        self,
        connection: AsyncConnection,
        payout: PayoutRecord,
        sources: Sequence[PayoutStatus],
        target: PayoutStatus,
        *,
        provider_payout_id: str | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
        now: dt.datetime,
    ) -> bool:
        """Move the payout to ``target`` if it is in one of ``sources`` (one winner)."""
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
        result = await connection.execute(
            sa.update(venue_payouts)
            .where(
                venue_payouts.c.tenant_id == payout.tenant_id,
                venue_payouts.c.id == payout.id,
                venue_payouts.c.status.in_([source.value for source in sources]),
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def lock(self, connection: AsyncConnection, payout: PayoutRecord) -> PayoutStatus | None:
        """The payout's status, its row locked until the transaction ends."""
        status = (
            await connection.execute(
                sa.select(venue_payouts.c.status)
                .where(
                    venue_payouts.c.tenant_id == payout.tenant_id,
                    venue_payouts.c.id == payout.id,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        return None if status is None else PayoutStatus(status)

    async def get(self, tenant_id: uuid.UUID, payout_id: uuid.UUID) -> PayoutRecord | None:
        async with self.engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(venue_payouts).where(
                            venue_payouts.c.tenant_id == tenant_id,
                            venue_payouts.c.id == payout_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _record(row)

    async def by_key(
        self, tenant_id: uuid.UUID, requested_by: uuid.UUID, key: uuid.UUID
    ) -> PayoutRecord | None:
        async with self.engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        sa.select(venue_payouts).where(
                            venue_payouts.c.tenant_id == tenant_id,
                            venue_payouts.c.requested_by == requested_by,
                            venue_payouts.c.idempotency_key == key,
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _record(row)

    async def recent(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        venue_id: uuid.UUID | None = None,
        statuses: Sequence[PayoutStatus] = (),
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[PayoutRecord]:
        """Newest first (oldest first by last change, for the sync job)."""
        query = sa.select(venue_payouts)
        if tenant_id is not None:
            query = query.where(venue_payouts.c.tenant_id == tenant_id)
        if venue_id is not None:
            query = query.where(venue_payouts.c.venue_id == venue_id)
        if statuses:
            query = query.where(venue_payouts.c.status.in_([status.value for status in statuses]))
        order = (
            (venue_payouts.c.updated_at, venue_payouts.c.id)
            if oldest_first
            else (venue_payouts.c.created_at.desc(), venue_payouts.c.id)
        )
        query = query.order_by(*order).limit(limit)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_record(row) for row in rows]

    async def settings(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> PayoutSettings | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
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
        self, tenant_id: uuid.UUID, venue_id: uuid.UUID, settings: PayoutSettings
    ) -> None:
        values = {
            "destination": settings.destination,
            "threshold": settings.threshold_minor,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        statement = insert(venue_payout_settings).values(
            tenant_id=tenant_id, venue_id=venue_id, **values
        )
        async with self.engine.begin() as connection:
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "venue_id"], set_=values
                )
            )

    async def available_balances(self, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        """(venue, payable minor units) of every venue of the tenant with funds available
        (the maintained balance of its available account; credit-normal, so negated)."""
        async with self.engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(ledger_accounts.c.owner, ledger_accounts.c.balance).where(
                        ledger_accounts.c.tenant_id == tenant_id,
                        ledger_accounts.c.kind == "venue_available",
                        ledger_accounts.c.balance < 0,
                    )
                )
            ).all()
        return [(uuid.UUID(row.owner), -int(row.balance)) for row in rows]

    async def venues_with_settings(
        self, tenant_id: uuid.UUID | None = None
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        query = sa.select(venue_payout_settings.c.tenant_id, venue_payout_settings.c.venue_id)
        if tenant_id is not None:
            query = query.where(venue_payout_settings.c.tenant_id == tenant_id)
        async with self.engine.connect() as connection:
            return [
                (row.tenant_id, row.venue_id) for row in (await connection.execute(query)).all()
            ]


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
