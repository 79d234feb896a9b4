"""The tax rows a payment's settlement and a refund's completion write, in their own
transactions (``TaxRecords``), and what a payment keeps of its tax quote until then
(``tax_metadata``). Through the ``TaxRecordWriter`` port only."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from tt_ledger import AccountKind, JournalEntry
from tt_payments.payments.records import PaymentRecord
from tt_payments.tax.ports import TaxRecordWriter
from tt_tax import TaxResult

__all__ = ["TaxRecords", "reversed_lines", "tax_metadata"]


def tax_metadata(result: TaxResult, state: str) -> dict[str, Any]:
    """What a payment keeps of its tax quote until it settles (its ``tax`` metadata)."""
    return {
        "state": state,
        "jurisdiction": result.jurisdiction,
        "date": result.on_date.isoformat(),
        "source": result.tax_source.value,
        "taxable": result.taxable_amount.minor,
        "lines": [
            {
                "kind": line.kind.value,
                "name": line.name,
                "jurisdiction": line.jurisdiction,
                "rateBps": str(line.rate_bps),
                "amount": line.amount.minor,
            }
            for line in result.lines
        ],
    }


@attrs.frozen(kw_only=True)
class TaxRecords:
    """The tax rows a settlement writes, in the settlement's own transaction."""

    async def payment_settled(
        self, tax_rows: TaxRecordWriter, record: PaymentRecord, metadata: Mapping[str, Any]
    ) -> None:
        """Record the tax ``record`` collected.

        Side effects, in ``tax_rows``' transaction: one ``tax_collections`` INSERT (nexus counts
        it later, ``TaxCompliance.track_nexus``). Idempotent per payment. Payments quoted
        before migration 0009 carry no ``tax`` metadata and are skipped. Moves no money
        (the journal entry does).
        """
        tax = metadata.get("tax")
        if not tax:
            return
        tenant = record.tenant_id
        tax_date = dt.date.fromisoformat(tax["date"])
        await tax_rows.insert_collection(
            tenant_id=tenant,
            payment_id=record.id,
            venue_id=record.venue_id,
            state=tax["state"],
            jurisdiction=tax["jurisdiction"],
            currency=record.total.currency.code,
            taxable_amount=int(tax["taxable"]),
            lines=tax["lines"],
            tax_source=tax["source"],
            tax_date=tax_date,
        )
        # Nexus is counted from the collections by ``TaxCompliance.track_nexus`` (a job),
        # not here: a per-state totals row updated by every payment would make all of a
        # tenant's payments into one state wait for each other (DESIGN.md, hot accounts).

    async def refund_completed(
        self,
        tax_rows: TaxRecordWriter,
        record: PaymentRecord,
        refund_id: uuid.UUID,
        entry: JournalEntry,
    ) -> None:
        """Reverse the tax the refund gave back: its journal ``entry``'s debits of tax
        payable accounts, set against the payment's lines (one INSERT, in ``tax_rows``'
        transaction, once per refund). Nothing when the payment has no collection row."""
        lines = await tax_rows.collection_lines(record.tenant_id, record.id)
        if lines is None:
            return
        await tax_rows.insert_reversal(
            tenant_id=record.tenant_id,
            refund_id=refund_id,
            payment_id=record.id,
            currency=record.total.currency.code,
            lines=reversed_lines(lines, entry),
        )


def reversed_lines(
    collected: Sequence[Mapping[str, Any]], entry: JournalEntry
) -> list[dict[str, Any]]:
    """``collected``'s lines with the amounts ``entry`` debits from each jurisdiction's
    tax payable account (lines sharing a jurisdiction take it in order, each at most what
    it collected)."""
    given_back: dict[str, int] = defaultdict(int)
    for posting in entry.postings:
        if posting.account.kind is AccountKind.TAX_PAYABLE:
            given_back[posting.account.owner] += posting.amount.minor
    reversed_: list[dict[str, Any]] = []
    for line in collected:
        part = min(given_back[line["jurisdiction"]], int(line["amount"]))
        given_back[line["jurisdiction"]] -= part
        reversed_.append({**line, "amount": part})
    return reversed_
