"""Reconciliation: our records against the processor's, every five minutes.

1. Orphaned payments: paid, but without their mint job or ``payment.completed`` event
   (a crash or a bug between settlement and its side effects): re-created.
2. Outbox rows unpublished for more than 10 minutes: made due again, and counted.
3. Payments pending / processing / requires_action for more than 15 minutes: the
   processor is asked (by its payment id, or, when the answer never reached us, by
   listing its payments and matching our transaction id in their metadata) and the
   payment is settled as the processor says; one the processor has no trace of is
   expired (cancelled, ``payment.expired``).
4. The processor's payments and refunds of the window, compared with ours on amount,
   currency and status. When the processor is right and the fix is unambiguous the fix
   goes through the live code (settlement, refund completion, booking a refund made in
   the processor's dashboard); anything else becomes a ``reconciliation_findings`` row
   for a person (one per object, however often it is found).

Runs are idempotent (every fix is conditional) and never overlap (an advisory lock).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tt_ledger import PaymentStatus
from tt_ledger import RefundStatus as OurRefundStatus
from tt_ledger.payment_states import PAID_STATUSES
from tt_payments.clock import utcnow
from tt_payments.locks import Locks
from tt_payments.payments import PaymentRecord
from tt_payments.payments.ports import PaymentStore
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentService
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.types import (
    ChargeStatus,
    ListedCharge,
    ListedRefund,
    ProviderRejectedError,
    ProviderUnavailableError,
    RefundStatus,
)
from tt_payments.reconciliation.ports import ReconciliationRecords
from tt_payments.webhooks import metadata_ids, uuid_or_none

_log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=15)
ABANDONED_AFTER = dt.timedelta(hours=1)
"""A payment waiting for 3-D Secure this long is expired (the buyer left)."""
OUTBOX_STUCK_AFTER = dt.timedelta(minutes=10)
DEFAULT_WINDOW = dt.timedelta(hours=24)
LOCK = "tickettoken.job.reconcile"

_UNSETTLED = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION}
)
_FINAL_CHARGE = frozenset({ChargeStatus.SUCCEEDED, ChargeStatus.DECLINED, ChargeStatus.CANCELED})


@attrs.define
class ReconciliationReport:
    since: dt.datetime
    until: dt.datetime
    orphans_restored: int = 0
    outbox_reset: int = 0
    stale_settled: int = 0
    stale_expired: int = 0
    stale_unresolved: int = 0
    charges_checked: int = 0
    refunds_checked: int = 0
    fixes: list[str] = attrs.field(factory=list)
    findings: list[dict[str, str]] = attrs.field(factory=list)
    """Differences found in this run (new or already on file)."""

    def as_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["since"] = self.since.isoformat()
        data["until"] = self.until.isoformat()
        return data


@attrs.frozen(kw_only=True)
class ReconciliationService:
    locks: Locks
    records: ReconciliationRecords
    payments: PaymentService
    refunds: RefundService
    provider: PaymentProvider
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def _store(self) -> PaymentStore:
        return self.payments.payments

    async def run(
        self, *, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> ReconciliationReport | None:
        """One reconciliation of ``[since, until)`` (default: the last 24 hours); None when
        another run holds the lock."""
        end = until or self.clock()
        report = ReconciliationReport(since=since or end - DEFAULT_WINDOW, until=end)
        async with self.locks.exclusive(LOCK) as got:
            if not got:
                return None
            await self._orphans(report)
            report.outbox_reset = await self.records.reset_stuck_outbox(OUTBOX_STUCK_AFTER)
            await self._stale(report)
            await self._compare_charges(report)
            await self._compare_refunds(report)
        return report

    async def _orphans(self, report: ReconciliationReport) -> None:
        for tenant, payment_id in await self.records.orphaned_payments(report.since):
            record = await self._store.get(tenant, payment_id)
            if record is None:  # pragma: no cover - just listed
                continue
            await self.payments.restore_downstream(
                record,
                completed_event=not await self.records.has_completed_event(tenant, payment_id),
            )
            report.orphans_restored += 1
            report.fixes.append(f"restored mint job / event of payment {payment_id}")

    async def _stale(self, report: ReconciliationReport) -> None:
        for tenant, payment_id in await self.records.stale_payments(STALE_AFTER):
            record = await self._store.get(tenant, payment_id)
            if record is None or record.status not in _UNSETTLED:
                continue
            try:
                charge = await self._find_charge(record)
            except (ProviderUnavailableError, ProviderRejectedError) as error:
                _log.warning("reconcile: cannot ask the processor about %s: %s", payment_id, error)
                report.stale_unresolved += 1
                continue
            if charge is None:
                if await self.payments.expire(record, "expired: the processor has no such payment"):
                    report.stale_expired += 1
                    report.fixes.append(f"expired payment {payment_id} (no processor payment)")
                continue
            if charge.amount != record.total:
                await self._finding(
                    report,
                    tenant=record.tenant_id,
                    kind="amount_mismatch",
                    object_id=charge.provider_payment_id,
                    payment_id=record.id,
                    details={"ours": record.total.minor, "processor": charge.amount.minor},
                )
                continue
            if charge.status in _FINAL_CHARGE or charge.status is ChargeStatus.REQUIRES_ACTION:
                settled = await self.payments.settle_charge(record, charge)
                if settled.record.status is not record.status:
                    report.stale_settled += 1
                    report.fixes.append(
                        f"settled stale payment {payment_id}: {settled.record.status.value}"
                    )
                    continue
            if (
                charge.status is ChargeStatus.REQUIRES_ACTION
                and self.clock() - record.created_at > ABANDONED_AFTER
            ):
                # The buyer never finished 3-D Secure: expired here; should they finish
                # it after all, the success is flagged for review (charge after expiry).
                if await self.payments.expire(record, "expired: 3-D Secure never completed"):
                    report.stale_expired += 1
                    report.fixes.append(f"expired abandoned 3-D Secure payment {payment_id}")
                continue
            report.stale_unresolved += 1

    async def _find_charge(self, record: PaymentRecord) -> Any:
        if record.provider_payment_id:
            return await self.provider.retrieve(record.provider_payment_id)
        # The processor's answer never reached us: look for our transaction id among the
        # payments it created around the time we asked.
        listed = await self.provider.list_charges(
            record.created_at - dt.timedelta(minutes=5), record.created_at + dt.timedelta(days=1)
        )
        for item in listed:
            tenant, transaction = metadata_ids(item.metadata)
            if (tenant, transaction) == (record.tenant_id, record.id):
                return item.charge
        return None

    async def _compare_charges(self, report: ReconciliationReport) -> None:
        for item in await self.provider.list_charges(report.since, report.until):
            report.charges_checked += 1
            await self._compare_charge(report, item)

    async def _compare_charge(self, report: ReconciliationReport, item: ListedCharge) -> None:
        charge = item.charge
        tenant, transaction = metadata_ids(item.metadata)
        record = await self._store.find_by_provider_payment(charge.provider_payment_id)
        if record is None and tenant is not None and transaction is not None:
            record = await self._store.get(tenant, transaction)
        if record is None:
            if charge.status is ChargeStatus.SUCCEEDED:
                await self._finding(
                    report,
                    tenant=tenant,
                    kind="charge_missing_locally",
                    object_id=charge.provider_payment_id,
                    payment_id=transaction,
                    details={
                        "amount": charge.amount.minor,
                        "currency": charge.amount.currency.code,
                    },
                )
            return
        known = record.provider_payment_id
        if known and known != charge.provider_payment_id:
            if charge.status is ChargeStatus.SUCCEEDED:
                # Another processor payment claims to be this one: a second capture.
                await self._finding(
                    report,
                    tenant=record.tenant_id,
                    kind="duplicate_charge",
                    object_id=charge.provider_payment_id,
                    payment_id=record.id,
                    details={"ours": known, "amount": charge.amount.minor},
                )
            return
        if charge.amount != record.total:
            await self._finding(
                report,
                tenant=record.tenant_id,
                kind="amount_mismatch",
                object_id=charge.provider_payment_id,
                payment_id=record.id,
                details={"ours": record.total.minor, "processor": charge.amount.minor},
            )
            return
        if charge.status in _FINAL_CHARGE and record.status in _UNSETTLED:
            settled = await self.payments.settle_charge(record, charge)
            report.fixes.append(f"settled payment {record.id}: {settled.record.status.value}")
            return
        succeeded = charge.status is ChargeStatus.SUCCEEDED
        if (succeeded and record.status not in PAID_STATUSES | _UNSETTLED) or (
            not succeeded and charge.status in _FINAL_CHARGE and record.status in PAID_STATUSES
        ):
            await self._finding(
                report,
                tenant=record.tenant_id,
                kind="status_mismatch",
                object_id=charge.provider_payment_id,
                payment_id=record.id,
                details={"ours": record.status.value, "processor": charge.status.value},
            )

    async def _compare_refunds(self, report: ReconciliationReport) -> None:
        for item in await self.provider.list_refunds(report.since, report.until):
            report.refunds_checked += 1
            await self._compare_refund(report, item)

    async def _compare_refund(self, report: ReconciliationReport, item: ListedRefund) -> None:
        refund = item.refund
        record = await self._store.find_by_provider_payment(refund.provider_payment_id)
        tenant, _ = metadata_ids(item.metadata)
        if record is None:
            await self._finding(
                report,
                tenant=tenant,
                kind="refund_for_unknown_payment",
                object_id=refund.provider_refund_id,
                payment_id=None,
                details={"payment": refund.provider_payment_id, "amount": refund.amount.minor},
            )
            return
        ours = await self._store.find_refund_for_provider(
            record.tenant_id,
            record.id,
            uuid_or_none(item.metadata.get("refundId")),
            refund.provider_refund_id,
        )
        succeeded = refund.status is RefundStatus.SUCCEEDED
        if ours is None:
            if not succeeded:
                return
            booked = await self.refunds.book_processor_refund(
                record, refund, reason=f"processor refund {refund.provider_refund_id}"
            )
            if booked == "booked":
                report.fixes.append(
                    f"booked refund {refund.provider_refund_id} of payment {record.id}"
                )
            elif booked == "exceeds":
                await self._finding(
                    report,
                    tenant=record.tenant_id,
                    kind="refund_missing_locally",
                    object_id=refund.provider_refund_id,
                    payment_id=record.id,
                    details={"amount": refund.amount.minor, "refundable": record.refundable.minor},
                )
            return
        if ours.amount != refund.amount:
            await self._finding(
                report,
                tenant=record.tenant_id,
                kind="refund_amount_mismatch",
                object_id=refund.provider_refund_id,
                payment_id=record.id,
                details={"ours": ours.amount.minor, "processor": refund.amount.minor},
            )
            return
        if ours.status is OurRefundStatus.PROCESSING and refund.status is not RefundStatus.PENDING:
            outcome = await self.refunds.settle_provider_refund(record, ours.id, refund)
            report.fixes.append(f"refund {ours.id}: {outcome}")
        elif (
            ours.status is OurRefundStatus.COMPLETED
        ) != succeeded and ours.status is not OurRefundStatus.PROCESSING:
            await self._finding(
                report,
                tenant=record.tenant_id,
                kind="refund_status_mismatch",
                object_id=refund.provider_refund_id,
                payment_id=record.id,
                details={"ours": ours.status.value, "processor": refund.status.value},
            )

    async def _finding(
        self,
        report: ReconciliationReport,
        *,
        tenant: uuid.UUID | None,
        kind: str,
        object_id: str,
        payment_id: uuid.UUID | None,
        details: Mapping[str, Any],
    ) -> None:
        new = await self.records.file_finding(
            tenant_id=tenant,
            kind=kind,
            provider=self.provider.name,
            provider_object_id=object_id,
            payment_id=payment_id,
            details=details,
        )
        if new:
            _log.warning("reconciliation finding: %s %s %s", kind, object_id, dict(details))
        report.findings.append({"kind": kind, "object": object_id, "new": str(new).lower()})
