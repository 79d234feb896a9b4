"""The settlement context in PostgreSQL: the sales due, the held reserves, the policies
and the settlement marks, on the unit of work's connection.

A venue's settlement runs in ONE transaction that first locks the venue's pending
account (refunds and disputes lock it too), then writes each sale's mark
(``venue_sale_settlements``, insert-if-absent) and, only when the mark is new, its
journal entry: a rerun, or two runs at once, post nothing twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tt_ledger import (
    DISPUTE_OPENED_KIND,
    PAYMENT_REFUND_REFERENCE,
    CapturedSale,
    HeldReserve,
    SettlementPolicy,
    VenueAccounts,
)
from tt_ledger.payment_states import PAID_STATUSES
from tt_money import Money, currency_for
from tt_payments.db.tables.catalog import events
from tt_payments.db.tables.ledger import ledger_accounts, ledger_entries, ledger_postings
from tt_payments.db.tables.payments import payment_refunds, payment_transactions
from tt_payments.db.tables.settlement import venue_sale_settlements, venue_settlement_policies
from tt_payments.ledger.sql import SqlLedger, SqlLedgerWriter
from tt_payments.settlement.records import VenueKey

# Paid sales: a fully refunded one is settled too (for nothing) so it is never looked at
# again.
_SETTLEABLE = sorted(status.value for status in PAID_STATUSES)
_VENUE_KINDS = ("venue_pending", "venue_available")

_venue_refunded = (
    sa.select(sa.func.coalesce(sa.func.sum(ledger_postings.c.amount), 0))
    .select_from(
        payment_refunds.join(
            ledger_entries,
            sa.and_(
                ledger_entries.c.tenant_id == payment_refunds.c.tenant_id,
                ledger_entries.c.reference_type == PAYMENT_REFUND_REFERENCE,
                ledger_entries.c.reference_id == payment_refunds.c.id,
            ),
        )
        .join(
            ledger_postings,
            sa.and_(
                ledger_postings.c.tenant_id == ledger_entries.c.tenant_id,
                ledger_postings.c.entry_id == ledger_entries.c.id,
            ),
        )
        .join(
            ledger_accounts,
            sa.and_(
                ledger_accounts.c.tenant_id == ledger_postings.c.tenant_id,
                ledger_accounts.c.id == ledger_postings.c.account_id,
                ledger_accounts.c.kind.in_(_VENUE_KINDS),
            ),
        )
    )
    .where(
        payment_refunds.c.tenant_id == payment_transactions.c.tenant_id,
        payment_refunds.c.transaction_id == payment_transactions.c.id,
    )
    .scalar_subquery()
)
"""The venue's part of a sale's refunds: the debits they posted to its pending and
available accounts (debit-positive, so a positive number)."""

_DUE_SALES = (
    sa.select(
        payment_transactions.c.tenant_id,
        payment_transactions.c.id,
        payment_transactions.c.venue_id,
        payment_transactions.c.currency,
        payment_transactions.c.amount,
        payment_transactions.c.completed_at,
        payment_transactions.c.created_at,
        events.c.starts_at,
        _venue_refunded.label("venue_refunded"),
    )
    .select_from(
        payment_transactions.join(
            events,
            sa.and_(
                events.c.tenant_id == payment_transactions.c.tenant_id,
                events.c.id == payment_transactions.c.event_id,
            ),
        ).outerjoin(
            venue_sale_settlements,
            sa.and_(
                venue_sale_settlements.c.tenant_id == payment_transactions.c.tenant_id,
                venue_sale_settlements.c.transaction_id == payment_transactions.c.id,
            ),
        )
    )
    .where(
        venue_sale_settlements.c.transaction_id.is_(None),
        payment_transactions.c.status.in_(_SETTLEABLE),
        events.c.starts_at <= sa.bindparam("now"),
    )
)


class SqlSettlementRepository:
    """``SettlementRepository`` on one open transaction."""

    __slots__ = ("_connection", "_ledger")

    def __init__(self, connection: AsyncConnection, ledger: SqlLedger) -> None:
        self._connection = connection
        self._ledger = ledger

    async def due_sales(
        self, now: dt.datetime, *, tenant_id: uuid.UUID | None = None
    ) -> dict[VenueKey, list[CapturedSale]]:
        query = _DUE_SALES
        if tenant_id is not None:
            query = query.where(payment_transactions.c.tenant_id == tenant_id)
        rows = (await self._connection.execute(query, {"now": now})).all()
        return _grouped(rows)

    async def venue_due_sales(self, key: VenueKey, now: dt.datetime) -> list[CapturedSale]:
        query = _DUE_SALES.where(
            payment_transactions.c.tenant_id == key.tenant_id,
            payment_transactions.c.venue_id == key.venue_id,
            payment_transactions.c.currency == key.currency,
        )
        rows = (await self._connection.execute(query, {"now": now})).all()
        return _grouped(rows).get(key, [])

    async def policy(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> SettlementPolicy:
        row = (
            await self._connection.execute(
                sa.select(venue_settlement_policies).where(
                    venue_settlement_policies.c.tenant_id == tenant_id,
                    venue_settlement_policies.c.venue_id == venue_id,
                )
            )
        ).first()
        if row is None:
            return SettlementPolicy()
        return SettlementPolicy(
            delay_days=row.delay_days,
            reserve_bps=row.reserve_bps,
            reserve_hold_days=row.reserve_hold_days,
            dispute_reserve_bps=row.dispute_reserve_bps,
        )

    async def put_policy(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        policy: SettlementPolicy,
        *,
        now: dt.datetime,
    ) -> None:
        values = {
            "delay_days": policy.delay_days,
            "reserve_bps": policy.reserve_bps,
            "reserve_hold_days": policy.reserve_hold_days,
            "dispute_reserve_bps": policy.dispute_reserve_bps,
            "updated_at": now,
        }
        statement = insert(venue_settlement_policies).values(
            tenant_id=tenant_id, venue_id=venue_id, **values
        )
        await self._connection.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id", "venue_id"], set_=values)
        )

    async def last_dispute_at(self, accounts: VenueAccounts) -> dt.datetime | None:
        reserved = self._ledger.account_id(accounts.reserved)
        latest: dt.datetime | None = (
            await self._connection.execute(
                sa.select(sa.func.max(ledger_entries.c.created_at))
                .select_from(
                    ledger_entries.join(
                        ledger_postings,
                        sa.and_(
                            ledger_postings.c.tenant_id == ledger_entries.c.tenant_id,
                            ledger_postings.c.entry_id == ledger_entries.c.id,
                        ),
                    )
                )
                .where(
                    ledger_entries.c.tenant_id == accounts.reserved.tenant_id,
                    ledger_entries.c.kind == DISPUTE_OPENED_KIND,
                    ledger_postings.c.account_id == reserved,
                )
            )
        ).scalar_one_or_none()
        return latest

    async def venues_with_reserves(self, *, tenant_id: uuid.UUID | None = None) -> list[VenueKey]:
        query = (
            sa.select(
                venue_sale_settlements.c.tenant_id,
                venue_sale_settlements.c.venue_id,
                venue_sale_settlements.c.currency,
            )
            .where(
                venue_sale_settlements.c.reserve_released_at.is_(None),
                venue_sale_settlements.c.reserve_amount > 0,
            )
            .distinct()
        )
        if tenant_id is not None:
            query = query.where(venue_sale_settlements.c.tenant_id == tenant_id)
        rows = (await self._connection.execute(query)).all()
        return [
            VenueKey(tenant_id=row.tenant_id, venue_id=row.venue_id, currency=row.currency)
            for row in rows
        ]

    async def held_reserves(self, key: VenueKey) -> list[HeldReserve]:
        rows = (
            await self._connection.execute(
                sa.select(venue_sale_settlements).where(
                    venue_sale_settlements.c.tenant_id == key.tenant_id,
                    venue_sale_settlements.c.venue_id == key.venue_id,
                    venue_sale_settlements.c.currency == key.currency,
                    venue_sale_settlements.c.reserve_released_at.is_(None),
                    venue_sale_settlements.c.reserve_amount > 0,
                )
            )
        ).all()
        return [
            HeldReserve(
                tenant_id=row.tenant_id,
                transaction_id=row.transaction_id,
                venue_id=row.venue_id,
                amount=Money(int(row.reserve_amount), currency_for(row.currency)),
                settled_at=row.settled_at,
            )
            for row in rows
        ]

    async def mark_settled(
        self,
        sale: CapturedSale,
        *,
        settled: Money,
        reserve: Money,
        reserve_bps: int,
        now: dt.datetime,
    ) -> bool:
        inserted = (
            await self._connection.execute(
                insert(venue_sale_settlements)
                .values(
                    tenant_id=sale.tenant_id,
                    transaction_id=sale.transaction_id,
                    venue_id=sale.venue_id,
                    currency=sale.currency.code,
                    settled_amount=settled.minor,
                    reserve_amount=reserve.minor,
                    reserve_bps=reserve_bps,
                    settled_at=now,
                )
                .on_conflict_do_nothing()
                .returning(venue_sale_settlements.c.transaction_id)
            )
        ).first()
        return inserted is not None

    async def mark_released(self, reserve: HeldReserve, now: dt.datetime) -> bool:
        released = await self._connection.execute(
            sa.update(venue_sale_settlements)
            .where(
                venue_sale_settlements.c.tenant_id == reserve.tenant_id,
                venue_sale_settlements.c.transaction_id == reserve.transaction_id,
                venue_sale_settlements.c.reserve_released_at.is_(None),
            )
            .values(reserve_released_at=now)
        )
        return released.rowcount == 1


class SqlSettlementTransaction:
    """``SettlementTransaction``: the settlement rows and the ledger on one connection."""

    __slots__ = ("ledger", "settlement")

    def __init__(self, connection: AsyncConnection, ledger: SqlLedger) -> None:
        self.settlement = SqlSettlementRepository(connection, ledger)
        self.ledger = SqlLedgerWriter(ledger, connection)


def settlement_transaction(
    ledger: SqlLedger,
) -> Callable[[AsyncConnection], SqlSettlementTransaction]:
    """The ``bind`` of the settlement context's ``SqlUnitOfWork``."""
    return lambda connection: SqlSettlementTransaction(connection, ledger)


def _grouped(rows: Sequence[Any]) -> dict[VenueKey, list[CapturedSale]]:
    grouped: dict[VenueKey, list[CapturedSale]] = {}
    for row in rows:
        currency = currency_for(row.currency)
        key = VenueKey(tenant_id=row.tenant_id, venue_id=row.venue_id, currency=row.currency)
        grouped.setdefault(key, []).append(
            CapturedSale(
                tenant_id=row.tenant_id,
                transaction_id=row.id,
                venue_id=row.venue_id,
                venue_amount=Money(int(row.amount), currency),
                venue_refunded=Money(min(int(row.venue_refunded), int(row.amount)), currency),
                event_starts_at=row.starts_at,
                captured_at=row.completed_at or row.created_at,
            )
        )
    return grouped
