"""Settlement: when a venue's sales move from pending to available, and the rolling reserve.

A sale settles ``delay_days`` after its event starts. Settling moves what is still
pending of the venue's share of that sale out of pending: ``reserve_bps`` of it into
reserved (the rolling reserve, against refunds and chargebacks) and the rest into
available. ``reserve_hold_days`` after settling, the reserve is released into available.

Reserve rate: ``dispute_reserve_bps`` (10%) instead of ``reserve_bps`` (5%) for a venue
with a dispute opened in the ``dispute_lookback_days`` (90) before the settlement run;
the rate is fixed per sale when it settles, so a later dispute does not change reserves
already held. Reserve = ``percent_of(settled, rate, Rounding.HALF_UP)``; available gets
``settled - reserve``, so the parts always sum to what settles.

What settles of a sale: its venue share minus the venue's part of its refunds and lost
disputes (``CapturedSale.venue_refunded``), capped by what is left in the venue's pending
account. Refunds take the venue's share from pending first, whichever sale put it there
(``split_venue_debit``), so pending can hold less than the sum of its unsettled sales;
the cap keeps pending from going below zero, and a sale whose money is already gone
settles nothing (it is still marked settled, with zero).

Idempotency: each sale settles at most once and its reserve is released at most once.
Both entries are of the ``payment_transaction`` the sale is, with ids derived from the
tenant, the kind and the sale id (``uuid5``), so a rerun builds the same entries and the
database's one-entry-per-kind-and-reference key refuses the second. Pure: functions here
build plans and entries; nothing moves until the caller records them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

import attrs

from tt_ledger.balances import VenueAccounts
from tt_ledger.errors import LedgerError
from tt_ledger.journal import JournalEntry, Posting, non_zero_postings
from tt_ledger.payment_entries import PAYMENT_TRANSACTION_REFERENCE
from tt_money.basis_points import percent_of, require_rate_bps
from tt_money.currency import Currency
from tt_money.money import Money
from tt_money.rounding import Rounding

__all__ = [
    "RESERVE_RELEASED_KIND",
    "RESERVE_ROUNDING",
    "SALE_SETTLED_KIND",
    "CapturedSale",
    "HeldReserve",
    "ReserveRelease",
    "SaleSettlement",
    "SettlementPolicy",
    "plan_reserve_releases",
    "plan_settlements",
    "reserve_release_entry",
    "sale_settled_entry",
    "settlement_entry_id",
]

SALE_SETTLED_KIND = "sale.settled"
RESERVE_RELEASED_KIND = "reserve.released"
RESERVE_ROUNDING = Rounding.HALF_UP
"""How the reserve's share of a settled amount is rounded to a minor unit."""
_NAMESPACE = uuid.UUID("9d5c1e0a-7b43-4f0e-b6a2-5e8c3d1f2a70")


def _check_days(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise LedgerError(f"{attribute.name} is a whole number of days >= 0, not {value!r}")


def _check_bps(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    require_rate_bps(value, attribute.name)


def _require_aware(moment: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise LedgerError(f"{name} must be a timezone-aware datetime, not {moment!r}")
    return moment


@attrs.frozen(kw_only=True)
class SettlementPolicy:
    """How and when one venue's sales settle (the defaults, or the venue's own terms)."""

    delay_days: int = attrs.field(default=2, validator=_check_days)
    """Days after the event's start before its sales settle."""
    reserve_bps: int = attrs.field(default=500, validator=_check_bps)
    """Rolling reserve held from each settled sale."""
    reserve_hold_days: int = attrs.field(default=90, validator=_check_days)
    """Days after settling before a sale's reserve is released."""
    dispute_reserve_bps: int = attrs.field(default=1000, validator=_check_bps)
    """Rolling reserve for a venue with a recent dispute."""
    dispute_lookback_days: int = attrs.field(default=90, validator=_check_days)
    """How recent a dispute must be to raise the reserve."""

    def settles_at(self, event_starts_at: dt.datetime) -> dt.datetime:
        """When the sales of an event starting at ``event_starts_at`` settle."""
        return _require_aware(event_starts_at, "event_starts_at") + dt.timedelta(
            days=self.delay_days
        )

    def releases_at(self, settled_at: dt.datetime) -> dt.datetime:
        """When the reserve of a sale settled at ``settled_at`` is released."""
        return _require_aware(settled_at, "settled_at") + dt.timedelta(days=self.reserve_hold_days)

    def reserve_bps_at(self, now: dt.datetime, *, last_dispute_at: dt.datetime | None) -> int:
        """The reserve rate for a sale settling at ``now``: ``dispute_reserve_bps`` if the
        venue's latest dispute was opened within ``dispute_lookback_days`` before ``now``
        (and not after it), else ``reserve_bps``."""
        _require_aware(now, "now")
        if last_dispute_at is None:
            return self.reserve_bps
        since = now - _require_aware(last_dispute_at, "last_dispute_at")
        if dt.timedelta(0) <= since <= dt.timedelta(days=self.dispute_lookback_days):
            return self.dispute_reserve_bps
        return self.reserve_bps


def _check_venue_share(instance: CapturedSale, _a: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or not value.is_positive:
        raise LedgerError(f"a sale's venue amount is positive Money, not {value!r}")


def _check_refunded(instance: CapturedSale, _a: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise TypeError(f"venue_refunded must be Money, not {type(value).__name__}")
    if value.currency != instance.venue_amount.currency:
        raise LedgerError(f"venue_refunded is in {value.currency.code}, the sale is not")
    if value.is_negative or value > instance.venue_amount:
        raise LedgerError(f"venue_refunded {value} is outside 0..{instance.venue_amount}")


@attrs.frozen(kw_only=True)
class CapturedSale:
    """A captured payment whose venue share waits in pending until it settles.

    ``transaction_id`` is the payment transaction; ``venue_amount`` the ticket price the
    capture credited to the venue's pending account; ``venue_refunded`` the venue's part of
    its completed refunds and lost disputes so far. ``settled`` is true once a settlement
    was recorded for it (with or without an entry).
    """

    tenant_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    transaction_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    venue_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    venue_amount: Money = attrs.field(validator=_check_venue_share)
    venue_refunded: Money = attrs.field(validator=_check_refunded)
    event_starts_at: dt.datetime = attrs.field()
    captured_at: dt.datetime = attrs.field()
    settled: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        _require_aware(self.event_starts_at, "event_starts_at")
        _require_aware(self.captured_at, "captured_at")

    @property
    def currency(self) -> Currency:
        return self.venue_amount.currency

    @property
    def unsettled(self) -> Money:
        """What of the venue's share is left after refunds."""
        return self.venue_amount - self.venue_refunded


@attrs.frozen(kw_only=True)
class SaleSettlement:
    """The settlement of one sale: ``settled`` left pending, ``reserve`` of it was held.

    ``entry`` is None when nothing moves (all of it refunded, or pending already empty);
    the caller still records the sale as settled, with ``settled`` and ``reserve``.
    """

    sale: CapturedSale
    settled: Money
    reserve: Money
    reserve_bps: int
    entry: JournalEntry | None

    @property
    def to_available(self) -> Money:
        return self.settled - self.reserve


def settlement_entry_id(tenant_id: uuid.UUID, kind: str, transaction_id: uuid.UUID) -> uuid.UUID:
    """The id of the ``kind`` entry of a sale: the same on every run."""
    return uuid.uuid5(_NAMESPACE, f"{tenant_id}:{kind}:{transaction_id}")


def sale_settled_entry(
    *,
    tenant_id: uuid.UUID,
    transaction_id: uuid.UUID,
    venue_id: uuid.UUID,
    settled: Money,
    reserve: Money,
) -> JournalEntry:
    """The entry settling ``settled`` of a sale, ``reserve`` of it held back.

    Dr venue pending ``settled``; Cr venue available ``settled - reserve``; Cr venue
    reserved ``reserve`` (zero lines left out). A ``sale.settled`` entry of the
    ``payment_transaction`` ``transaction_id`` with id ``settlement_entry_id``: recording
    it twice is refused by the database. Pure: builds the entry, moves nothing.
    """
    if not settled.is_positive or reserve.is_negative or reserve > settled:
        raise LedgerError(f"cannot settle {settled} holding {reserve}")
    accounts = VenueAccounts.of(tenant_id, venue_id, settled.currency)
    lines = (
        (accounts.pending, settled),
        (accounts.available, -(settled - reserve)),
        (accounts.reserved, -reserve),
    )
    return JournalEntry(
        id=settlement_entry_id(tenant_id, SALE_SETTLED_KIND, transaction_id),
        tenant_id=tenant_id,
        kind=SALE_SETTLED_KIND,
        reference_type=PAYMENT_TRANSACTION_REFERENCE,
        reference_id=transaction_id,
        postings=non_zero_postings(lines),
        description=f"settlement of payment transaction {transaction_id}",
    )


def plan_settlements(
    sales: Iterable[CapturedSale],
    *,
    now: dt.datetime,
    policy: SettlementPolicy,
    pending_balance: Money,
    last_dispute_at: dt.datetime | None = None,
) -> tuple[SaleSettlement, ...]:
    """The settlements due at ``now`` of ONE venue's sales in ONE currency.

    Due: not ``settled`` and ``policy.settles_at(event_starts_at) <= now``; the others
    are skipped. In order of event start, capture time and id, each settles its
    ``unsettled`` amount, capped by what is left of ``pending_balance`` (the venue's pending
    account as its normal balance, read under the venue's lock) after the sales before
    it. The reserve rate is ``policy.reserve_bps_at(now, last_dispute_at=...)``.
    Pure: computes the plan; the caller records each entry with the sale's settled mark.
    """
    _require_aware(now, "now")
    sales = tuple(sales)
    currency = pending_balance.currency
    venues = {(sale.tenant_id, sale.venue_id) for sale in sales}
    if len(venues) > 1:
        raise LedgerError(f"settlement is planned per venue; got {len(venues)} venues")
    if any(sale.currency != currency for sale in sales):
        raise LedgerError(f"settlement is planned per currency; the pending balance is {currency}")
    due = sorted(
        (
            sale
            for sale in sales
            if not sale.settled and policy.settles_at(sale.event_starts_at) <= now
        ),
        key=lambda sale: (sale.event_starts_at, sale.captured_at, sale.transaction_id),
    )
    rate = policy.reserve_bps_at(now, last_dispute_at=last_dispute_at)
    zero = Money.zero(currency)
    left = max(pending_balance, zero)
    plans: list[SaleSettlement] = []
    for sale in due:
        settled = min(sale.unsettled, left)
        left -= settled
        reserve = percent_of(settled, rate, RESERVE_ROUNDING)
        entry = None
        if settled.is_positive:
            entry = sale_settled_entry(
                tenant_id=sale.tenant_id,
                transaction_id=sale.transaction_id,
                venue_id=sale.venue_id,
                settled=settled,
                reserve=reserve,
            )
        plans.append(
            SaleSettlement(
                sale=sale, settled=settled, reserve=reserve, reserve_bps=rate, entry=entry
            )
        )
    return tuple(plans)


@attrs.frozen(kw_only=True)
class HeldReserve:
    """The rolling reserve one settled sale holds: ``amount`` since ``settled_at``."""

    tenant_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    transaction_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    venue_id: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))
    amount: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    settled_at: dt.datetime = attrs.field()
    released: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        _require_aware(self.settled_at, "settled_at")
        if self.amount.is_negative:
            raise LedgerError(f"a held reserve is not negative: {self.amount}")


@attrs.frozen(kw_only=True)
class ReserveRelease:
    """A reserve due for release and the entry that releases it."""

    reserve: HeldReserve
    entry: JournalEntry


def reserve_release_entry(reserve: HeldReserve) -> JournalEntry:
    """The entry releasing ``reserve``: Dr venue reserved, Cr venue available, its amount.

    A ``reserve.released`` entry of the sale's ``payment_transaction`` with id
    ``settlement_entry_id``: recording it twice is refused by the database. Pure.
    """
    if not reserve.amount.is_positive:
        raise LedgerError(f"nothing to release: {reserve.amount}")
    accounts = VenueAccounts.of(reserve.tenant_id, reserve.venue_id, reserve.amount.currency)
    return JournalEntry(
        id=settlement_entry_id(reserve.tenant_id, RESERVE_RELEASED_KIND, reserve.transaction_id),
        tenant_id=reserve.tenant_id,
        kind=RESERVE_RELEASED_KIND,
        reference_type=PAYMENT_TRANSACTION_REFERENCE,
        reference_id=reserve.transaction_id,
        postings=(
            Posting(account=accounts.reserved, amount=reserve.amount),
            Posting(account=accounts.available, amount=-reserve.amount),
        ),
        description=f"reserve release of payment transaction {reserve.transaction_id}",
    )


def plan_reserve_releases(
    reserves: Iterable[HeldReserve], *, now: dt.datetime, policy: SettlementPolicy
) -> tuple[ReserveRelease, ...]:
    """The reserves due for release at ``now``: not released, positive, and
    ``policy.releases_at(settled_at) <= now``; oldest first. Pure."""
    _require_aware(now, "now")
    due = sorted(
        (
            reserve
            for reserve in reserves
            if not reserve.released
            and reserve.amount.is_positive
            and policy.releases_at(reserve.settled_at) <= now
        ),
        key=lambda reserve: (reserve.settled_at, reserve.transaction_id),
    )
    return tuple(
        ReserveRelease(reserve=reserve, entry=reserve_release_entry(reserve)) for reserve in due
    )
