"""The storage the tax context needs: the rows a payment's settlement and a refund's
completion write in their transactions (``TaxRecordWriter``), the nexus totals and their
outbox event in one transaction (``TaxTransaction``), and payees, dispositions and forms
(``TaxComplianceStore``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from tt_payments.outbox.ports import OutboxWriter
from tt_payments.tax.records import NexusRow, StoredForm
from tt_tax import Disposition, NexusTotals, Payee


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


class NexusWriter(Protocol):
    """The nexus totals inside one transaction."""

    async def sums(self) -> list[tuple[uuid.UUID, str, int, NexusTotals]]:
        """Every tenant's taxable sales and their count per state and year, from the
        collections (the truth: each is written with its payment)."""
        ...

    async def set_totals(
        self, tenant_id: uuid.UUID, state: str, year: int, totals: NexusTotals
    ) -> NexusRow:
        """Store the totals (absolute: reruns change nothing); answers the row."""
        ...

    async def collections_in_order(
        self, tenant_id: uuid.UUID, state: str, year: int
    ) -> list[tuple[uuid.UUID, int]]:
        """(payment, taxable cents) of the state's collections in the year, in order."""
        ...

    async def mark_crossed(self, tenant_id: uuid.UUID, state: str, year: int) -> bool:
        """Record that the threshold was met; False if it already was."""
        ...


class TaxTransaction(Protocol):
    @property
    def nexus(self) -> NexusWriter: ...

    @property
    def outbox(self) -> OutboxWriter: ...


class TaxComplianceStore(Protocol):
    """Nexus totals, payees, dispositions and forms outside any payment's transaction; each
    call is its own."""

    async def nexus_rows(self, tenant_id: uuid.UUID, year: int | None) -> list[NexusRow]: ...

    async def put_payee(self, tenant_id: uuid.UUID, user_id: uuid.UUID, payee: Payee) -> None: ...

    async def payees(
        self, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Payee]: ...

    async def add_disposition(
        self, tenant_id: uuid.UUID, disposition_id: uuid.UUID, disposition: Disposition
    ) -> bool:
        """Store a disposition once per id; False when that id was stored before."""
        ...

    async def dispositions(
        self,
        tenant_id: uuid.UUID,
        *,
        user_id: uuid.UUID | None = None,
        year: int | None = None,
    ) -> list[Disposition]:
        """The tenant's dispositions (of one user, sold in one year), by user and date."""
        ...

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
        ...

    async def forms(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, tax_year: int | None = None
    ) -> list[StoredForm]: ...

    async def form_pdf(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, tax_year: int
    ) -> bytes | None: ...
