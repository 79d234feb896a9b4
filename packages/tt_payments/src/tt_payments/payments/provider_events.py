"""A processor's events about our payments, applied in order and at most once.

Every event about a payment (its charge, a refund, a dispute) is numbered per payment in
``payment_event_sequence`` (the payment row's lock serializes them) and kept there. Then,
by the payment's state machine:

* ``apply``: the event's effect, through the same code as the live path (settlement,
  refund completion, dispute booking), each conditional so that a repeat changes nothing;
* ``early``: it can apply only after an event that has not arrived (a refund before the
  payment's success): HELD; ``process_held`` retries, and past ``HOLD_LIMIT`` asks the
  processor for the payment's state instead, counting an alert metric;
* ``duplicate`` (the state already reflects it, e.g. a late ``processing``) or
  ``invalid`` (it contradicts a final state): recorded and ignored. State never moves back.

An event whose amount or processor id disagrees with ours is never applied (``mismatch``,
logged as an error); reconciliation flags it for review.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from tt_ledger import PaymentEvent, PaymentStatus
from tt_ledger.payment_states import PAID_STATUSES
from tt_ledger.payment_states import classify as classify_payment_event
from tt_money import Money
from tt_payments.clock import utcnow
from tt_payments.metrics import WebhookMetrics
from tt_payments.payments import PaymentRecord
from tt_payments.payments.disputes import DisputeService
from tt_payments.payments.ports import FindingsDesk, PaymentStore
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentService
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.types import Charge, ChargeStatus, Refund, RefundStatus
from tt_payments.webhooks import Dispute, ProviderEvent

_log = logging.getLogger(__name__)

HOLD_LIMIT = dt.timedelta(minutes=10)

_EVENT_OF_CHARGE = {
    ChargeStatus.SUCCEEDED: PaymentEvent.SUCCEEDED,
    ChargeStatus.DECLINED: PaymentEvent.FAILED,
    ChargeStatus.PROCESSING: PaymentEvent.PROCESSING,
    ChargeStatus.CANCELED: PaymentEvent.CANCELED,
    ChargeStatus.REQUIRES_ACTION: PaymentEvent.REQUIRES_ACTION,
}
_UNSETTLED = frozenset(
    {PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION}
)


@attrs.frozen(kw_only=True)
class _Story:
    """One event about a payment, in the form kept on its sequence row."""

    kind: str
    charge: Charge | None = None
    refund: Refund | None = None
    refund_id: uuid.UUID | None = None
    dispute: Dispute | None = None
    provider: str = "stripe"

    @property
    def event_type(self) -> str:
        if self.charge is not None:
            return _EVENT_OF_CHARGE[self.charge.status].value
        if self.refund is not None:
            return f"refund.{self.refund.status.value}"
        assert self.dispute is not None
        return f"dispute.{self.dispute.status or 'opened'}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "provider": self.provider}
        if self.charge is not None:
            data["charge"] = _money_fields(attrs.asdict(self.charge, recurse=False))
        if self.refund is not None:
            data["refund"] = _money_fields(attrs.asdict(self.refund, recurse=False))
            data["refundId"] = None if self.refund_id is None else str(self.refund_id)
        if self.dispute is not None:
            data["dispute"] = _money_fields(attrs.asdict(self.dispute, recurse=False))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Story:
        charge = refund = dispute = None
        if "charge" in data:
            fields = _money_back(data["charge"])
            charge = Charge(**{**fields, "status": ChargeStatus(fields["status"])})
        if "refund" in data:
            fields = _money_back(data["refund"])
            refund = Refund(**{**fields, "status": RefundStatus(fields["status"])})
        if "dispute" in data:
            dispute = Dispute(**_money_back(data["dispute"]))
        refund_id = data.get("refundId")
        return cls(
            kind=str(data["kind"]),
            charge=charge,
            refund=refund,
            refund_id=uuid.UUID(refund_id) if refund_id else None,
            dispute=dispute,
            provider=str(data.get("provider", "stripe")),
        )


def _money_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, Money):
            out[name] = {"minor": value.minor, "currency": value.currency.code}
        elif hasattr(value, "value") and not isinstance(value, str | int):
            out[name] = value.value
        else:
            out[name] = value
    return out


def _money_back(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: Money.of(int(value["minor"]), str(value["currency"]))
        if isinstance(value, Mapping) and set(value) == {"minor", "currency"}
        else value
        for name, value in fields.items()
    }


@attrs.frozen(kw_only=True)
class ProviderEventService:
    payments: PaymentService
    refunds: RefundService
    disputes: DisputeService
    provider: PaymentProvider
    metrics: WebhookMetrics
    findings: FindingsDesk
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def _store(self) -> PaymentStore:
        return self.payments.payments

    async def apply(self, event: ProviderEvent) -> str:
        """Number, keep and decide one event (see the module docstring); its outcome.

        An event of a handled type that names no payment we can read (a refund of a bare
        charge, say) is ``unrouted``: stored in the inbox, and reconciliation compares the
        processor's view anyway."""
        story = _story_of(event)
        if story is None:
            _log.warning("%s %s names no payment: not routed", event.event_type, event.event_id)
            return "unrouted"
        record = await self._payment_of(event)
        if record is None:
            # Our payment row is committed before the processor is ever called, so an
            # event for a payment we do not have is not ours (another integration on the
            # account, a charge made by hand): reconciliation files it for review.
            _log.warning(
                "%s %s: no payment for %s",
                event.provider,
                event.event_id,
                event.provider_payment_id,
            )
            return "unmatched"
        recorded = await self._store.record_event(
            tenant_id=record.tenant_id,
            payment_id=record.id,
            event_type=story.event_type,
            provider_event_id=f"{event.provider}:{event.event_id}",
            occurred_at=event.created,
            payload={**story.to_json(), "event": dict(event.payload)},
        )
        if recorded is None:
            return "duplicate"
        row_id, _, status = recorded
        return await self._decide(record, row_id, story, status, occurred=event.created)

    async def process_held(
        self, *, batch: int = 500, payment: tuple[uuid.UUID, uuid.UUID] | None = None
    ) -> dict[str, int]:
        """Retry every held event (of one payment, if given), oldest first, in batches;
        one held past ``HOLD_LIMIT`` makes us ask the processor. Counts by outcome.
        One event that fails is counted as ``error`` and left for the next run; it never
        blocks the others."""
        counts: dict[str, int] = {}
        now = self.clock()
        after: tuple[dt.datetime, uuid.UUID] | None = None
        while rows := await self._store.held_events(batch, after=after, payment=payment):
            for row in rows:
                try:
                    outcome = await self._retry_held(row, now)
                except Exception as error:
                    _log.warning("held event %s: %s; retried next run", row["id"], error)
                    outcome = "error"
                counts[outcome] = counts.get(outcome, 0) + 1
            after = (rows[-1]["created_at"], rows[-1]["id"])
        return counts

    async def _retry_held(self, row: Mapping[str, Any], now: dt.datetime) -> str:
        record = await self._store.get(row["tenant_id"], row["payment_id"])
        if record is None:  # pragma: no cover - events are recorded against a payment
            return "error"
        story = _Story.from_json(row["payload"])
        final = now - row["created_at"] > HOLD_LIMIT
        if final:
            self.metrics.event_held_too_long()
            record = await self._refresh_from_provider(record, story)
        return await self._decide(
            record,
            row["id"],
            story,
            record.status,
            final=final,
            occurred=row["event_timestamp"],
            cascade=False,
        )

    async def _refresh_from_provider(self, record: PaymentRecord, story: _Story) -> PaymentRecord:
        """The payment as the processor has it now, settled locally if it moved."""
        payment_id = record.provider_payment_id or _provider_payment_id(story)
        if payment_id and record.status in _UNSETTLED:
            await self.payments.settle_charge(record, await self.provider.retrieve(payment_id))
        return await self._store.get(record.tenant_id, record.id) or record

    async def _decide(
        self,
        record: PaymentRecord,
        row_id: uuid.UUID,
        story: _Story,
        status: PaymentStatus,
        *,
        occurred: dt.datetime,
        final: bool = False,
        cascade: bool = True,
    ) -> str:
        verdict = _verdict(story, status)
        if verdict == "apply" and story.charge is not None:
            # Older than a charge event already applied to this payment: it would move
            # the payment back (requires_action after processing), so it is stale.
            newest = await self._store.newest_applied_charge_event(record.tenant_id, record.id)
            if newest is not None and occurred < newest:
                verdict = "duplicate"
        if verdict == "early" and not final:
            return "held"
        if verdict == "apply":
            outcome = await self._apply(record, story, status)
        else:
            if verdict in {"invalid", "early"}:
                _log.error(
                    "payment %s is %s; %s cannot apply (recorded, ignored)",
                    record.id,
                    status.value,
                    story.event_type,
                )
            outcome = "ignored"
            if verdict == "invalid" and _moves_money(story):
                await self._flag(record, story, f"{story.event_type} while {status.value}")
        if outcome == "mismatch":
            _log.error("payment %s: %s disagrees with our records", record.id, story.event_type)
            await self._flag(record, story, f"{story.event_type} disagrees with our records")
        await self._store.decide_event(
            record.tenant_id,
            row_id,
            "applied" if outcome == "applied" else "ignored",
            f"{outcome}: {story.event_type} while {status.value}",
        )
        if outcome == "applied" and story.charge is not None and cascade:
            # The payment moved: what was held waiting for it may apply now (after this
            # event's own row is decided, so the retry does not take it for a held one).
            await self.process_held(payment=(record.tenant_id, record.id))
        return outcome

    async def _flag(self, record: PaymentRecord, story: _Story, what: str) -> None:
        """File a finding for a person: money the processor moved that we will not book."""
        part = story.charge or story.refund or story.dispute
        object_id = (
            story.charge.provider_payment_id
            if story.charge is not None
            else story.refund.provider_refund_id
            if story.refund is not None
            else story.dispute.provider_dispute_id
            if story.dispute is not None
            else "?"
        )
        await self.findings.file_finding(
            tenant_id=record.tenant_id,
            kind=f"webhook_{story.kind}_not_applied",
            provider=story.provider,
            provider_object_id=object_id,
            payment_id=record.id,
            details={
                "what": what,
                "amount": part.amount.minor if part is not None else None,
                "paymentStatus": record.status.value,
            },
        )

    async def _apply(self, record: PaymentRecord, story: _Story, status: PaymentStatus) -> str:
        if story.charge is not None:
            charge = story.charge
            known = record.provider_payment_id
            if charge.amount != record.total or (known and known != charge.provider_payment_id):
                return "mismatch"
            settled = await self.payments.settle_charge(record, charge)
            return "applied" if settled.record.status is not status else "duplicate"
        if story.refund is not None:
            return await self.refunds.settle_provider_refund(record, story.refund_id, story.refund)
        assert story.dispute is not None
        return await self.disputes.apply(record, story.provider, story.dispute)

    async def _payment_of(self, event: ProviderEvent) -> PaymentRecord | None:
        if event.tenant_id is not None and event.payment_id is not None:
            record = await self._store.get(event.tenant_id, event.payment_id)
            if record is not None:
                return record
        if event.provider_payment_id:
            return await self._store.find_by_provider_payment(event.provider_payment_id)
        return None


def _story_of(event: ProviderEvent) -> _Story | None:
    if event.charge is not None:
        return _Story(kind="charge", charge=event.charge, provider=event.provider)
    if event.refund is not None:
        return _Story(
            kind="refund", refund=event.refund, refund_id=event.refund_id, provider=event.provider
        )
    if event.dispute is not None:
        return _Story(kind="dispute", dispute=event.dispute, provider=event.provider)
    return None


def _moves_money(story: _Story) -> bool:
    """Whether the processor took or gave back money in this event (a success, a
    succeeded refund, a dispute): ignoring one of those needs a person."""
    if story.charge is not None:
        return story.charge.status is ChargeStatus.SUCCEEDED
    if story.refund is not None:
        return story.refund.status is RefundStatus.SUCCEEDED
    return story.dispute is not None


def _provider_payment_id(story: _Story) -> str | None:
    for part in (story.charge, story.refund, story.dispute):
        if part is not None:
            return str(part.provider_payment_id)
    return None


def _verdict(story: _Story, status: PaymentStatus) -> str:
    if story.charge is not None:
        return classify_payment_event(status, _EVENT_OF_CHARGE[story.charge.status])
    if story.refund is not None and story.refund.status is not RefundStatus.SUCCEEDED:
        return "apply"  # a refund failing changes only the refund
    # A refund that succeeded, or a dispute: only of a captured payment.
    if status in PAID_STATUSES:
        return "apply"
    return "early" if status in _UNSETTLED else "invalid"
