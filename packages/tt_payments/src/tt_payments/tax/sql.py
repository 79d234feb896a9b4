"""``TaxRecordWriter`` on one open transaction (the statements are in
``tt_payments.adapters.tax_sql``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tt_payments.adapters import tax_sql

__all__ = ["SqlTaxRecordWriter"]


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
        return await tax_sql.insert_collection(
            self._connection,
            tenant_id=tenant_id,
            payment_id=payment_id,
            venue_id=venue_id,
            state=state,
            jurisdiction=jurisdiction,
            currency=currency,
            taxable_amount=taxable_amount,
            lines=lines,
            tax_source=tax_source,
            tax_date=tax_date,
        )

    async def collection_lines(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> list[dict[str, Any]] | None:
        return await tax_sql.collection_lines(self._connection, tenant_id, payment_id)

    async def insert_reversal(
        self,
        *,
        tenant_id: uuid.UUID,
        refund_id: uuid.UUID,
        payment_id: uuid.UUID,
        currency: str,
        lines: Sequence[Mapping[str, Any]],
    ) -> bool:
        return await tax_sql.insert_reversal(
            self._connection,
            tenant_id=tenant_id,
            refund_id=refund_id,
            payment_id=payment_id,
            currency=currency,
            lines=lines,
        )
