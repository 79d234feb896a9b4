"""What the payments context's transactions write for tax: a payment's collection, and a
refund's reversal of part of it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class TaxRecordWriter(Protocol):
    """Tax rows inside one transaction (the settlement's or the refund's)."""

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
        """The tax a payment collected, once per payment (False: recorded already)."""
        ...

    async def collection_lines(
        self, tenant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> list[dict[str, Any]] | None:
        """The payment's collected lines; None when it has no collection row."""
        ...

    async def insert_reversal(
        self,
        *,
        tenant_id: uuid.UUID,
        refund_id: uuid.UUID,
        payment_id: uuid.UUID,
        currency: str,
        lines: Sequence[Mapping[str, Any]],
    ) -> bool:
        """The tax a refund gave back, once per refund (False: recorded already)."""
        ...
