"""Venue payouts: the rules a request must pass, the instant fee, arrival, and the entries.

A payout of ``amount`` takes ``amount`` from the venue's available balance. An instant
payout's fee (1%, ``percent_of(amount, instant_fee_bps, Rounding.HALF_UP)``) is taken
out of it, so the venue receives ``amount - fee`` and ``amount <= payable`` is the whole
balance check. A payout that fails or is canceled returns ``amount`` in full to
available, the fee included: a payout that never arrives costs the venue nothing.

Entries, all of the ``venue_payout`` the payout is (``reference_id`` = payout id), with
ids derived from the tenant, the kind and the payout id, so a retry builds the same
entry and the database's one-entry-per-kind-and-reference key refuses the second:

- requested: Dr venue available ``amount``; Cr venue payout in transit ``net``;
  Cr platform revenue ``fee``;
- paid: Dr venue payout in transit ``net``; Cr processor clearing ``net`` (the money left
  the processor balance for the venue's bank);
- failed or canceled: Dr venue payout in transit ``net``; Dr platform revenue ``fee``;
  Cr venue available ``amount``. Failed after paid (a bank returns a payout the
  processor reported paid): Dr processor clearing ``net`` instead of in transit.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

import attrs

from tt_ledger.accounts import AccountKind, AccountRef
from tt_ledger.balances import VenueAccounts
from tt_ledger.errors import (
    DailyPayoutLimitError,
    InsufficientFundsError,
    LedgerError,
    PayoutBelowMinimumError,
)
from tt_ledger.journal import JournalEntry, non_zero_postings
from tt_money.basis_points import percent_of, require_rate_bps
from tt_money.currency import USD, Currency
from tt_money.errors import CurrencyMismatchError, InvalidInputError
from tt_money.money import Money
from tt_money.rounding import Rounding

__all__ = [
    "INSTANT_PAYOUT_MINUTES",
    "PAYOUT_CANCELED_KIND",
    "PAYOUT_FAILED_KIND",
    "PAYOUT_FEE_ROUNDING",
    "PAYOUT_PAID_KIND",
    "PAYOUT_REFERENCE",
    "PAYOUT_REQUESTED_KIND",
    "ArrivalEstimate",
    "PayoutAmounts",
    "PayoutMethod",
    "PayoutRules",
    "add_business_days",
    "check_payout",
    "estimate_arrival",
    "payout_amounts",
    "payout_entry_id",
    "payout_paid_entry",
    "payout_requested_entry",
    "payout_returned_entry",
]

PAYOUT_REFERENCE = "venue_payout"
"""``reference_type`` of payout entries; their ``reference_id`` is the payout's id."""
PAYOUT_REQUESTED_KIND = "payout.requested"
PAYOUT_PAID_KIND = "payout.paid"
PAYOUT_FAILED_KIND = "payout.failed"
PAYOUT_CANCELED_KIND = "payout.canceled"
PAYOUT_FEE_ROUNDING = Rounding.HALF_UP
"""How the instant fee is rounded to a minor unit."""
INSTANT_PAYOUT_MINUTES = 30
_NAMESPACE = uuid.UUID("4e7a9c21-0d6b-4f3a-9b85-1c2e3f4a5b6d")


class PayoutMethod(enum.Enum):
    """How fast the money goes out; the values are the spec's response ``type``."""

    STANDARD = "standard"
    """Free; arrives in 1-2 business days."""
    INSTANT = "instant"
    """``instant_fee_bps`` fee; arrives in about 30 minutes."""

    @classmethod
    def from_instant(cls, instant: bool) -> PayoutMethod:
        """The method the spec's request body's ``instant`` flag asks for."""
        return cls.INSTANT if instant else cls.STANDARD


def _check_rule_amount(_instance: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money) or not value.is_positive:
        raise LedgerError(f"{attribute.name} is positive Money, not {value!r}")


@attrs.frozen(kw_only=True)
class PayoutRules:
    """The limits on one currency's payouts (the spec's, in USD, by default)."""

    minimum: Money = attrs.field(default=Money(10_000, USD), validator=_check_rule_amount)
    daily_limit: Money = attrs.field(default=Money(5_000_000, USD), validator=_check_rule_amount)
    """Per venue and calendar day, payouts in flight included."""
    instant_fee_bps: int = attrs.field(default=100)

    def __attrs_post_init__(self) -> None:
        require_rate_bps(self.instant_fee_bps, "instant_fee_bps")
        if self.minimum.currency != self.daily_limit.currency:
            raise LedgerError("a payout minimum and daily limit are in one currency")
        if self.minimum > self.daily_limit:
            raise LedgerError(f"minimum {self.minimum} exceeds the daily limit {self.daily_limit}")

    @property
    def currency(self) -> Currency:
        return self.minimum.currency

    def fee(self, amount: Money, method: PayoutMethod) -> Money:
        """The fee on a payout of ``amount`` by ``method``: none for standard."""
        if method is PayoutMethod.STANDARD:
            return Money.zero(amount.currency)
        return percent_of(amount, self.instant_fee_bps, PAYOUT_FEE_ROUNDING)


def check_payout(
    amount: Money,
    payable: Money,
    paid_today_including_in_flight: Money,
    method: PayoutMethod,
    rules: PayoutRules,
) -> None:
    """Refuse a payout of ``amount`` the rules do not allow; return if they do.

    In this order: ``CurrencyMismatchError`` (not the rules' currency),
    ``InvalidInputError`` (not positive), ``PayoutBelowMinimumError``
    (``PAYOUT_BELOW_MINIMUM``: under ``rules.minimum``), ``InsufficientFundsError``
    (``INSUFFICIENT_FUNDS``: more than ``payable``), ``DailyPayoutLimitError``
    (``DAILY_PAYOUT_LIMIT``: with ``paid_today_including_in_flight``, the venue's payouts
    requested today and not failed or canceled, over ``rules.daily_limit``). The limits
    apply to ``amount`` whatever the ``method``: the fee comes out of it. An instant fee
    that would leave the venue nothing is an ``InvalidInputError``. Pure; the caller
    holds the venue's available-account lock while it checks and posts, so concurrent
    requests see each other.
    """
    currency = rules.currency
    for name, value in (
        ("amount", amount),
        ("payable", payable),
        ("paid_today_including_in_flight", paid_today_including_in_flight),
    ):
        if value.currency != currency:
            raise CurrencyMismatchError(
                f"{name} is in {value.currency.code}; payouts here are in {currency.code}",
                details=[(name, f"must be in {currency.code}")],
            )
    if not amount.is_positive:
        raise InvalidInputError(
            f"a payout must be positive, not {amount}", details=[("amount", "must be positive")]
        )
    if amount < rules.minimum:
        raise PayoutBelowMinimumError(
            f"the minimum payout is {rules.minimum}, not {amount}",
            details=[("amount", f"at least {rules.minimum.minor}")],
        )
    if amount > payable:
        raise InsufficientFundsError(
            f"payout of {amount} exceeds the payable balance of {payable}",
            details=[("amount", f"at most {max(payable, Money.zero(currency)).minor}")],
        )
    room = rules.daily_limit - paid_today_including_in_flight
    if amount > room:
        raise DailyPayoutLimitError(
            f"payout of {amount} exceeds what is left of today's limit of {rules.daily_limit}",
            details=[("amount", f"at most {max(room, Money.zero(currency)).minor} today")],
        )
    if rules.fee(amount, method) >= amount:
        raise InvalidInputError(
            f"the {method.value} fee would take all of {amount}",
            details=[("instant", "the fee would take the whole payout")],
        )


@attrs.frozen(kw_only=True)
class PayoutAmounts:
    """``amount`` leaves available: ``net`` goes to the venue, ``fee`` to the platform."""

    amount: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    fee: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    method: PayoutMethod = attrs.field(validator=attrs.validators.instance_of(PayoutMethod))

    def __attrs_post_init__(self) -> None:
        if (
            self.fee.currency != self.amount.currency
            or not self.amount.is_positive
            or self.fee.is_negative
            or self.fee >= self.amount
        ):
            raise LedgerError(f"a payout of {self.amount} with a fee of {self.fee}")

    @property
    def net(self) -> Money:
        return self.amount - self.fee


def payout_amounts(amount: Money, method: PayoutMethod, rules: PayoutRules) -> PayoutAmounts:
    """The fee and net of a payout of ``amount`` by ``method``."""
    return PayoutAmounts(amount=amount, fee=rules.fee(amount, method), method=method)


def add_business_days(moment: dt.datetime, days: int) -> dt.datetime:
    """``moment`` moved forward ``days`` business days (Monday to Friday), keeping the time
    of day: Friday + 1 is Monday, and Saturday or Sunday + 1 is Monday too. No public
    holidays are known here."""
    if days < 0:
        raise ValueError(f"days must not be negative, not {days}")
    result = moment
    while days:
        result += dt.timedelta(days=1)
        if result.weekday() < 5:
            days -= 1
    return result


@attrs.frozen(kw_only=True)
class ArrivalEstimate:
    """When a payout should arrive: between ``earliest`` and ``latest``; ``label`` is the
    spec's ``estimatedArrival`` text."""

    earliest: dt.datetime
    latest: dt.datetime
    label: str


def estimate_arrival(method: PayoutMethod, requested_at: dt.datetime) -> ArrivalEstimate:
    """Standard: 1 to 2 business days after ``requested_at``; instant: 30 minutes."""
    if method is PayoutMethod.INSTANT:
        at = requested_at + dt.timedelta(minutes=INSTANT_PAYOUT_MINUTES)
        return ArrivalEstimate(earliest=at, latest=at, label=f"{INSTANT_PAYOUT_MINUTES} minutes")
    return ArrivalEstimate(
        earliest=add_business_days(requested_at, 1),
        latest=add_business_days(requested_at, 2),
        label="1-2 business days",
    )


def payout_entry_id(tenant_id: uuid.UUID, kind: str, payout_id: uuid.UUID) -> uuid.UUID:
    """The id of a payout's ``kind`` entry: the same on every retry."""
    return uuid.uuid5(_NAMESPACE, f"{tenant_id}:{kind}:{payout_id}")


def _entry(
    tenant_id: uuid.UUID,
    payout_id: uuid.UUID,
    kind: str,
    lines: tuple[tuple[AccountRef, Money], ...],
    description: str,
) -> JournalEntry:
    return JournalEntry(
        id=payout_entry_id(tenant_id, kind, payout_id),
        tenant_id=tenant_id,
        kind=kind,
        reference_type=PAYOUT_REFERENCE,
        reference_id=payout_id,
        postings=non_zero_postings(lines),
        description=description,
    )


def payout_requested_entry(
    *, tenant_id: uuid.UUID, payout_id: uuid.UUID, venue_id: uuid.UUID, amounts: PayoutAmounts
) -> JournalEntry:
    """The entry of a payout requested: Dr available ``amount``; Cr in transit ``net``;
    Cr platform revenue ``fee`` (none for standard). Pure; one per payout (its id and the
    database's reference key). The caller posts it with the payout row, under the lock
    on the venue's available account it checked ``check_payout`` under."""
    currency = amounts.amount.currency
    accounts = VenueAccounts.of(tenant_id, venue_id, currency)
    revenue = AccountRef.platform(tenant_id, AccountKind.PLATFORM_REVENUE, currency)
    return _entry(
        tenant_id,
        payout_id,
        PAYOUT_REQUESTED_KIND,
        (
            (accounts.available, amounts.amount),
            (accounts.in_transit, -amounts.net),
            (revenue, -amounts.fee),
        ),
        f"{amounts.method.value} payout {payout_id} requested",
    )


def payout_paid_entry(
    *, tenant_id: uuid.UUID, payout_id: uuid.UUID, venue_id: uuid.UUID, amounts: PayoutAmounts
) -> JournalEntry:
    """The entry of a payout paid: Dr in transit ``net``; Cr processor clearing ``net``.
    Pure; one per payout."""
    currency = amounts.amount.currency
    accounts = VenueAccounts.of(tenant_id, venue_id, currency)
    clearing = AccountRef.platform(tenant_id, AccountKind.PROCESSOR_CLEARING, currency)
    return _entry(
        tenant_id,
        payout_id,
        PAYOUT_PAID_KIND,
        ((accounts.in_transit, amounts.net), (clearing, -amounts.net)),
        f"payout {payout_id} paid",
    )


def payout_returned_entry(
    *,
    tenant_id: uuid.UUID,
    payout_id: uuid.UUID,
    venue_id: uuid.UUID,
    amounts: PayoutAmounts,
    kind: str,
    after_paid: bool = False,
) -> JournalEntry:
    """The entry of a payout that failed or was canceled: all of ``amount`` back to
    available, the fee included.

    ``kind`` is ``PAYOUT_FAILED_KIND`` or ``PAYOUT_CANCELED_KIND``. Dr in transit ``net``
    (or, ``after_paid``, Dr processor clearing ``net``: the paid entry already emptied in
    transit and the bank sent the money back); Dr platform revenue ``fee``; Cr available
    ``amount``. Pure; one per payout.
    """
    if kind not in (PAYOUT_FAILED_KIND, PAYOUT_CANCELED_KIND):
        raise LedgerError(f"a payout is returned when failed or canceled, not on {kind!r}")
    if after_paid and kind != PAYOUT_FAILED_KIND:
        raise LedgerError("a paid payout can fail, not be canceled")
    currency = amounts.amount.currency
    accounts = VenueAccounts.of(tenant_id, venue_id, currency)
    source = (
        AccountRef.platform(tenant_id, AccountKind.PROCESSOR_CLEARING, currency)
        if after_paid
        else accounts.in_transit
    )
    revenue = AccountRef.platform(tenant_id, AccountKind.PLATFORM_REVENUE, currency)
    return _entry(
        tenant_id,
        payout_id,
        kind,
        ((source, amounts.net), (revenue, amounts.fee), (accounts.available, -amounts.amount)),
        f"payout {payout_id} {kind.removeprefix('payout.')}: returned to available",
    )
