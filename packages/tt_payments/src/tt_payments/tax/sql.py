"""Tax records in PostgreSQL: collections and their reversals, nexus totals, payees,
dispositions and Forms 1099-DA (tables of migration 0009).

The writes a payment or a refund makes (``insert_collection``, ``insert_reversal``) take
the caller's connection, so they commit or roll back with the settlement they belong to;
so do the nexus job's (``nexus_sums``, ``set_nexus_totals``, ``mark_nexus_crossed``), in
its one transaction. ``SqlTaxCompliance`` holds the rest.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tt_payments.db import raw
from tt_payments.db.tables.tax import (
    tax_collection_reversals,
    tax_collections,
    tax_dispositions,
    tax_forms_1099da,
    tax_nexus_totals,
    tax_payees,
)
from tt_payments.outbox.sql import SqlOutboxWriter
from tt_payments.tax.records import NexusRow, StoredForm
from tt_tax import Disposition, NexusTotals, Payee

_LAYERS = ("state", "local", "special")


def _layer_sums(lines: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    sums = {f"{layer}_tax": 0 for layer in _LAYERS}
    for line in lines:
        sums[f"{line['kind']}_tax"] += int(line["amount"])
    sums["total_tax"] = sum(sums.values())
    return sums


_INSERT_COLLECTION = raw.RawStatement(
    insert(tax_collections)
    .values(collected_at=sa.func.now())
    .on_conflict_do_nothing()
    .returning(tax_collections.c.payment_id),
    keys=(
        "tenant_id",
        "payment_id",
        "venue_id",
        "state",
        "jurisdiction",
        "currency",
        "taxable_amount",
        "lines",
        "tax_source",
        "tax_date",
        *(f"{layer}_tax" for layer in _LAYERS),
        "total_tax",
    ),
)

_YEAR = sa.extract("year", tax_collections.c.tax_date).cast(sa.Integer)
_NEW_TOTALS = insert(tax_nexus_totals).values(
    tenant_id=sa.bindparam("tenant_id"),
    state=sa.bindparam("state"),
    year=sa.bindparam("year"),
    sales_cents=sa.bindparam("sales"),
    transactions=sa.bindparam("transactions"),
    updated_at=sa.func.now(),
)
_SET_TOTALS = _NEW_TOTALS.on_conflict_do_update(
    index_elements=["tenant_id", "state", "year"],
    set_={
        "sales_cents": _NEW_TOTALS.excluded.sales_cents,
        "transactions": _NEW_TOTALS.excluded.transactions,
        "updated_at": sa.func.now(),
    },
).returning(tax_nexus_totals.c.crossed_at)


_FORM_COLUMNS = (
    tax_forms_1099da.c.id,
    tax_forms_1099da.c.user_id,
    tax_forms_1099da.c.tax_year,
    tax_forms_1099da.c.form_data,
    tax_forms_1099da.c.total_proceeds,
    tax_forms_1099da.c.total_cost_basis,
    tax_forms_1099da.c.transaction_count,
    tax_forms_1099da.c.status,
    tax_forms_1099da.c.generated_at,
)


def _stored_form(row: Any) -> StoredForm:
    return StoredForm(
        id=row.id,
        user_id=row.user_id,
        tax_year=int(row.tax_year),
        form_data=dict(row.form_data),
        total_proceeds=int(row.total_proceeds),
        total_cost_basis=int(row.total_cost_basis),
        transaction_count=int(row.transaction_count),
        status=str(row.status),
        generated_at=row.generated_at,
    )


class SqlTaxCompliance:
    """``TaxComplianceStore``: nexus totals, payees, dispositions and forms; each call is
    its own transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def nexus_rows(self, tenant_id: uuid.UUID, year: int | None) -> list[NexusRow]:
        query = sa.select(tax_nexus_totals).where(tax_nexus_totals.c.tenant_id == tenant_id)
        if year is not None:
            query = query.where(tax_nexus_totals.c.year == year)
        query = query.order_by(tax_nexus_totals.c.year, tax_nexus_totals.c.state)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            NexusRow(
                state=row.state,
                year=int(row.year),
                totals=NexusTotals(int(row.sales_cents), int(row.transactions)),
                crossed_at=row.crossed_at,
            )
            for row in rows
        ]

    async def put_payee(self, tenant_id: uuid.UUID, user_id: uuid.UUID, payee: Payee) -> None:
        values = {"name": payee.name, "tin": payee.tin, "address": payee.address}
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(tax_payees)
                .values(tenant_id=tenant_id, user_id=user_id, updated_at=sa.func.now(), **values)
                .on_conflict_do_update(
                    index_elements=["tenant_id", "user_id"],
                    set_={**values, "updated_at": sa.func.now()},
                )
            )

    async def payees(
        self, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Payee]:
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(tax_payees).where(
                        tax_payees.c.tenant_id == tenant_id, tax_payees.c.user_id.in_(user_ids)
                    )
                )
            ).all()
        return {row.user_id: Payee(name=row.name, tin=row.tin, address=row.address) for row in rows}

    async def add_disposition(
        self, tenant_id: uuid.UUID, disposition_id: uuid.UUID, disposition: Disposition
    ) -> bool:
        """Store a disposition once per id; False when that id was stored before."""
        async with self._engine.begin() as connection:
            inserted = await connection.execute(
                insert(tax_dispositions)
                .values(
                    tenant_id=tenant_id,
                    id=disposition_id,
                    user_id=uuid.UUID(disposition.user_id),
                    token_id=disposition.token_id,
                    asset_code=disposition.asset_code,
                    asset_name=disposition.asset_name,
                    units=disposition.units,
                    acquired_on=disposition.acquired_on,
                    sold_on=disposition.sold_on,
                    gross_proceeds=disposition.gross_proceeds_cents,
                    cost_basis=disposition.cost_basis_cents,
                    primary_sale_proceeds=disposition.primary_sale_proceeds_cents,
                    created_at=sa.func.now(),
                )
                .on_conflict_do_nothing()
                .returning(tax_dispositions.c.id)
            )
            return inserted.first() is not None

    async def dispositions(
        self,
        tenant_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None = None,
        year: int | None = None,
    ) -> list[Disposition]:
        """The tenant's dispositions (of one user, sold in one year), by user and date."""
        query = sa.select(tax_dispositions).where(tax_dispositions.c.tenant_id == tenant_id)
        if user_id is not None:
            query = query.where(tax_dispositions.c.user_id == user_id)
        if year is not None:
            query = query.where(
                tax_dispositions.c.sold_on >= dt.date(year, 1, 1),
                tax_dispositions.c.sold_on < dt.date(year + 1, 1, 1),
            )
        query = query.order_by(
            tax_dispositions.c.user_id, tax_dispositions.c.sold_on, tax_dispositions.c.id
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            Disposition(
                user_id=str(row.user_id),
                token_id=row.token_id,
                asset_code=row.asset_code,
                asset_name=row.asset_name,
                units=Decimal(row.units),
                acquired_on=row.acquired_on,
                sold_on=row.sold_on,
                gross_proceeds_cents=int(row.gross_proceeds),
                cost_basis_cents=None if row.cost_basis is None else int(row.cost_basis),
                primary_sale_proceeds_cents=(
                    None if row.primary_sale_proceeds is None else int(row.primary_sale_proceeds)
                ),
            )
            for row in rows
        ]

    async def save_form(
        self,
        tenant_id: uuid.UUID,
        user_id: uuid.UUID,
        tax_year: int,
        *,
        form_data: Mapping[str, Any],
        total_proceeds: int,
        total_cost_basis: int,
        transaction_count: int,
        render_pdf: Callable[[], bytes],
    ) -> str:
        """Store the user's form for the year: ``created``, ``updated`` (its content
        changed: the row keeps its id) or ``unchanged`` (nothing is written, and the PDF
        is not rendered)."""
        values: dict[str, object] = {
            "form_data": dict(form_data),
            "total_proceeds": total_proceeds,
            "total_cost_basis": total_cost_basis,
            "transaction_count": transaction_count,
        }
        async with self._engine.begin() as connection:
            existing = (
                await connection.execute(
                    sa.select(tax_forms_1099da.c.form_data)
                    .where(
                        tax_forms_1099da.c.tenant_id == tenant_id,
                        tax_forms_1099da.c.user_id == user_id,
                        tax_forms_1099da.c.tax_year == tax_year,
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if existing is not None and existing == values["form_data"]:
                return "unchanged"
            values["pdf"] = render_pdf()
            await connection.execute(
                insert(tax_forms_1099da)
                .values(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    user_id=user_id,
                    tax_year=tax_year,
                    status="generated",
                    generated_at=sa.func.now(),
                    **values,
                )
                .on_conflict_do_update(
                    constraint="uq_tax_forms_1099da_year",
                    set_={**values, "status": "generated", "generated_at": sa.func.now()},
                )
            )
        return "created" if existing is None else "updated"

    async def forms(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, tax_year: int | None = None
    ) -> list[StoredForm]:
        query = sa.select(*_FORM_COLUMNS).where(
            tax_forms_1099da.c.tenant_id == tenant_id, tax_forms_1099da.c.user_id == user_id
        )
        if tax_year is not None:
            query = query.where(tax_forms_1099da.c.tax_year == tax_year)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query.order_by(tax_forms_1099da.c.tax_year))).all()
        return [_stored_form(row) for row in rows]

    async def form_pdf(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, tax_year: int
    ) -> bytes | None:
        async with self._engine.connect() as connection:
            pdf = (
                await connection.execute(
                    sa.select(tax_forms_1099da.c.pdf).where(
                        tax_forms_1099da.c.tenant_id == tenant_id,
                        tax_forms_1099da.c.user_id == user_id,
                        tax_forms_1099da.c.tax_year == tax_year,
                    )
                )
            ).scalar_one_or_none()
        return None if pdf is None else bytes(pdf)


class SqlTaxRecordWriter:
    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def insert_collection(
        self,
        *,
        tenant_id: uuid.UUID,
        payment_id: uuid.UUID,
        venue_id: uuid.UUID,
        state: str,
        jurisdiction: str,
        currency: str,
        taxable_amount: int,
        lines: Sequence[Mapping[str, Any]],
        tax_source: str,
        tax_date: dt.date,
    ) -> bool:
        """One INSERT; False when the payment already has its row (nothing is written)."""
        inserted = await (await raw.on(self._connection)).first(
            _INSERT_COLLECTION,
            {
                "tenant_id": tenant_id,
                "payment_id": payment_id,
                "venue_id": venue_id,
                "state": state,
                "jurisdiction": jurisdiction,
                "currency": currency,
                "taxable_amount": taxable_amount,
                "lines": [dict(line) for line in lines],
                "tax_source": tax_source,
                "tax_date": tax_date,
                **_layer_sums(lines),
            },
        )
        return inserted is not None

    async def collection_lines(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> list[dict[str, Any]] | None:
        """The payment's collected tax lines, or None when it has no collection."""
        row = await self._connection.execute(
            sa.select(tax_collections.c.lines).where(
                tax_collections.c.tenant_id == tenant_id, tax_collections.c.payment_id == payment_id
            )
        )
        lines = row.scalar_one_or_none()
        return None if lines is None else list(lines)

    async def insert_reversal(
        self,
        *,
        tenant_id: uuid.UUID,
        refund_id: uuid.UUID,
        payment_id: uuid.UUID,
        currency: str,
        lines: Sequence[Mapping[str, Any]],
    ) -> bool:
        """One INSERT; False when the refund already has its reversal."""
        inserted = await self._connection.execute(
            insert(tax_collection_reversals)
            .values(
                tenant_id=tenant_id,
                refund_id=refund_id,
                payment_id=payment_id,
                currency=currency,
                lines=[dict(line) for line in lines],
                reversed_at=sa.func.now(),
                **_layer_sums(lines),
            )
            .on_conflict_do_nothing()
            .returning(tax_collection_reversals.c.refund_id)
        )
        return inserted.first() is not None


class SqlNexusWriter:
    """``NexusWriter`` on one open transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def sums(self) -> list[tuple[uuid.UUID, str, int, NexusTotals]]:
        """Every tenant's taxable sales and their count per state and year, from the
        collections (the truth: each is written with its payment)."""
        rows = (
            await self._connection.execute(
                sa.select(
                    tax_collections.c.tenant_id,
                    tax_collections.c.state,
                    _YEAR.label("year"),
                    sa.func.sum(tax_collections.c.taxable_amount).label("sales"),
                    sa.func.count().label("transactions"),
                ).group_by(tax_collections.c.tenant_id, tax_collections.c.state, _YEAR)
            )
        ).all()
        return [
            (
                row.tenant_id,
                row.state,
                int(row.year),
                NexusTotals(int(row.sales), int(row.transactions)),
            )
            for row in rows
        ]

    async def set_totals(
        self, tenant_id: uuid.UUID, state: str, year: int, totals: NexusTotals
    ) -> NexusRow:
        """Store the totals (absolute: reruns change nothing); answers the row."""
        crossed_at = (
            await self._connection.execute(
                _SET_TOTALS,
                {
                    "tenant_id": tenant_id,
                    "state": state,
                    "year": year,
                    "sales": totals.sales_cents,
                    "transactions": totals.transactions,
                },
            )
        ).scalar_one()
        return NexusRow(state=state, year=year, totals=totals, crossed_at=crossed_at)

    async def collections_in_order(
        self, tenant_id: uuid.UUID, state: str, year: int
    ) -> list[tuple[uuid.UUID, int]]:
        """(payment, taxable cents) of the state's collections in the year, in the order
        they were collected: the sale that crossed a threshold is found by walking them."""
        rows = (
            await self._connection.execute(
                sa.select(tax_collections.c.payment_id, tax_collections.c.taxable_amount)
                .where(
                    tax_collections.c.tenant_id == tenant_id,
                    tax_collections.c.state == state,
                    tax_collections.c.tax_date >= dt.date(year, 1, 1),
                    tax_collections.c.tax_date < dt.date(year + 1, 1, 1),
                )
                .order_by(tax_collections.c.collected_at, tax_collections.c.payment_id)
            )
        ).all()
        return [(row.payment_id, int(row.taxable_amount)) for row in rows]

    async def mark_crossed(self, tenant_id: uuid.UUID, state: str, year: int) -> bool:
        """Record that the threshold was met; False if it already was (emit nothing then)."""
        marked = await self._connection.execute(
            sa.update(tax_nexus_totals)
            .where(
                tax_nexus_totals.c.tenant_id == tenant_id,
                tax_nexus_totals.c.state == state,
                tax_nexus_totals.c.year == year,
                tax_nexus_totals.c.crossed_at.is_(None),
            )
            .values(crossed_at=sa.func.now())
        )
        return marked.rowcount == 1


class SqlTaxTransaction:
    """``TaxTransaction``: the nexus totals and the outbox on one connection."""

    __slots__ = ("nexus", "outbox")

    def __init__(self, connection: AsyncConnection) -> None:
        self.nexus = SqlNexusWriter(connection)
        self.outbox = SqlOutboxWriter(connection)
