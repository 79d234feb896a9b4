"""The fee schedule (venue tiers by trailing volume) and the buyer's fee breakdown.

Spec, "Dynamic Fee Calculation": starter 8.2% under $10k a month, pro 7.9% from $10k to
$100k, enterprise 7.5% above $100k; card processing 2.9% + 30c. Decision (spec NOTES 1):
the breakdown carries every tax line, its total is the sum of its lines, and card
processing is the platform's own cost, kept beside the breakdown, never charged in it.
"""

from __future__ import annotations

import enum

import attrs

from tt_money.basis_points import percent_of, require_rate_bps
from tt_money.currency import USD, Currency
from tt_money.errors import CurrencyMismatchError, InvalidInputError
from tt_money.money import Money, sum_money
from tt_money.rounding import Rounding

__all__ = [
    "FeeBreakdown",
    "FeeLine",
    "FeeLineKind",
    "FeeSchedule",
    "TierRule",
    "VenueFeeTerms",
    "VenueTier",
    "build_fee_breakdown",
]


class VenueTier(enum.Enum):
    STARTER = "starter"
    PRO = "pro"
    ENTERPRISE = "enterprise"


def _check_rate(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    require_rate_bps(value, attribute.name)


def _check_optional_rate(
    _instance: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    if value is not None:
        require_rate_bps(value, attribute.name)


def _require_currency(amount: Money, currency: Currency, what: str) -> None:
    if amount.currency != currency:
        raise CurrencyMismatchError(
            f"{what} is in {amount.currency.code}; expected {currency.code}",
            details=[(what, f"expected {currency.code}")],
        )


def _require_not_negative(amount: Money, what: str) -> None:
    if amount.is_negative:
        raise InvalidInputError(
            f"{what} must not be negative, not {amount}", details=[(what, "must not be negative")]
        )


@attrs.frozen(kw_only=True)
class TierRule:
    """A venue whose trailing 30-day completed volume is at least ``min_volume`` (inclusive)
    is in ``tier`` and pays ``platform_fee_bps`` - unless a higher rule also applies."""

    tier: VenueTier = attrs.field(validator=attrs.validators.instance_of(VenueTier))
    min_volume: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    platform_fee_bps: int = attrs.field(validator=_check_rate)

    def __attrs_post_init__(self) -> None:
        _require_not_negative(self.min_volume, "min_volume")


def _default_card_processing_fixed() -> Money:
    return Money(30, USD)


@attrs.frozen(kw_only=True)
class FeeSchedule:
    """Platform fee tiers plus the card processor's price, all in one currency.

    ``tiers`` are sorted by strictly increasing ``min_volume``, the first starting at zero,
    each ``VenueTier`` at most once.
    """

    tiers: tuple[TierRule, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(
            attrs.validators.instance_of(TierRule), attrs.validators.instance_of(tuple)
        )
    )
    card_processing_bps: int = attrs.field(default=290, validator=_check_rate)
    card_processing_fixed: Money = attrs.field(
        factory=_default_card_processing_fixed, validator=attrs.validators.instance_of(Money)
    )

    def __attrs_post_init__(self) -> None:
        if not self.tiers:
            raise InvalidInputError("a fee schedule needs at least one tier")
        if not self.tiers[0].min_volume.is_zero:
            raise InvalidInputError("the first fee tier must start at zero volume")
        for rule in self.tiers:
            _require_currency(rule.min_volume, self.currency, "min_volume")
        _require_currency(self.card_processing_fixed, self.currency, "card_processing_fixed")
        _require_not_negative(self.card_processing_fixed, "card_processing_fixed")
        for lower, upper in zip(self.tiers, self.tiers[1:], strict=False):
            if not lower.min_volume < upper.min_volume:
                raise InvalidInputError("fee tiers must be sorted by increasing min_volume")
        if len({rule.tier for rule in self.tiers}) != len(self.tiers):
            raise InvalidInputError("each venue tier may appear at most once in a schedule")

    @classmethod
    def default(cls) -> FeeSchedule:
        """The spec's schedule: starter 8.2% below $10,000.00; pro 7.9% from $10,000.00 up to
        and including $100,000.00; enterprise 7.5% above $100,000.00; cards 2.9% + 30c."""
        return cls(
            tiers=(
                TierRule(tier=VenueTier.STARTER, min_volume=Money(0, USD), platform_fee_bps=820),
                TierRule(
                    tier=VenueTier.PRO, min_volume=Money(1_000_000, USD), platform_fee_bps=790
                ),
                TierRule(
                    tier=VenueTier.ENTERPRISE,
                    min_volume=Money(10_000_001, USD),
                    platform_fee_bps=750,
                ),
            ),
        )

    @property
    def currency(self) -> Currency:
        return self.tiers[0].min_volume.currency

    def tier_for_volume(self, trailing_30d_volume: Money) -> VenueTier:
        """The tier of the highest rule whose ``min_volume`` the volume reaches.

        The volume must be in the schedule's currency (``CurrencyMismatchError``) and not
        negative (``InvalidInputError``).
        """
        _require_currency(trailing_30d_volume, self.currency, "trailing_30d_volume")
        _require_not_negative(trailing_30d_volume, "trailing_30d_volume")
        tier = self.tiers[0].tier
        for rule in self.tiers:
            if trailing_30d_volume >= rule.min_volume:
                tier = rule.tier
        return tier

    def platform_fee_bps(self, tier: VenueTier) -> int:
        """The platform fee rate of ``tier``; ``InvalidInputError`` if the schedule lacks it."""
        for rule in self.tiers:
            if rule.tier is tier:
                return rule.platform_fee_bps
        raise InvalidInputError(f"the fee schedule has no {tier.value} tier")

    def resolve(self, trailing_30d_volume: Money, terms: VenueFeeTerms) -> tuple[VenueTier, int]:
        """The venue's tier and platform fee rate in basis points.

        A negotiated rate (``terms.platform_fee_bps_override``) wins; otherwise the rate of
        ``terms.tier_override``; otherwise the rate of the tier the volume earns. The tier
        reported is the override tier if set, else the volume tier. The volume is checked as
        in ``tier_for_volume`` even when an override makes it irrelevant.
        """
        volume_tier = self.tier_for_volume(trailing_30d_volume)
        tier = terms.tier_override if terms.tier_override is not None else volume_tier
        if terms.platform_fee_bps_override is not None:
            return tier, terms.platform_fee_bps_override
        return tier, self.platform_fee_bps(tier)

    def processing_cost(self, charged: Money) -> Money:
        """What the card processor takes from a charge of ``charged``: the platform's cost.

        ``card_processing_bps`` of the charge rounded half-up to a whole minor unit, plus
        ``card_processing_fixed``; nothing for a zero charge. The charge must be in the
        schedule's currency and not negative. Pure: computes, moves nothing.
        """
        _require_currency(charged, self.currency, "charged")
        _require_not_negative(charged, "charged")
        if charged.is_zero:
            return charged
        return (
            percent_of(charged, self.card_processing_bps, Rounding.HALF_UP)
            + self.card_processing_fixed
        )


@attrs.frozen(kw_only=True)
class VenueFeeTerms:
    """A venue's negotiated exceptions to the schedule; both ``None`` means none."""

    tier_override: VenueTier | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(VenueTier)),
    )
    platform_fee_bps_override: int | None = attrs.field(
        default=None, validator=_check_optional_rate
    )


class FeeLineKind(enum.Enum):
    """What a line of the buyer's fee breakdown is; values are the spec's JSON keys."""

    TICKET_PRICE = "ticketPrice"
    PLATFORM_FEE = "platformFee"
    GAS_ESTIMATE = "gasEstimate"
    STATE_TAX = "stateTax"
    LOCAL_TAX = "localTax"
    SPECIAL_TAX = "specialTax"


@attrs.frozen
class FeeLine:
    """One amount the buyer pays, e.g. ``FeeLine(FeeLineKind.STATE_TAX, Money(700, USD))``."""

    kind: FeeLineKind = attrs.field(validator=attrs.validators.instance_of(FeeLineKind))
    amount: Money = attrs.field(validator=attrs.validators.instance_of(Money))


@attrs.frozen(kw_only=True)
class FeeBreakdown:
    """What the buyer pays, line by line, and what the platform pays the card processor.

    ``total`` is always the sum of ``lines``. ``processing_cost`` is the platform's cost: it is
    not a line and is not in ``total``. All amounts share one currency, none is negative, and
    each ``FeeLineKind`` appears at most once.
    """

    lines: tuple[FeeLine, ...] = attrs.field(
        validator=attrs.validators.deep_iterable(
            attrs.validators.instance_of(FeeLine), attrs.validators.instance_of(tuple)
        )
    )
    tier: VenueTier = attrs.field(validator=attrs.validators.instance_of(VenueTier))
    platform_fee_bps: int = attrs.field(validator=_check_rate)
    processing_cost: Money = attrs.field(validator=attrs.validators.instance_of(Money))

    def __attrs_post_init__(self) -> None:
        _require_not_negative(self.processing_cost, "processing_cost")
        for line in self.lines:
            _require_currency(line.amount, self.currency, line.kind.value)
            _require_not_negative(line.amount, line.kind.value)
        kinds = [line.kind for line in self.lines]
        if len(set(kinds)) != len(kinds):
            raise InvalidInputError("a fee breakdown has at most one line of each kind")

    @property
    def currency(self) -> Currency:
        return self.processing_cost.currency

    @property
    def total(self) -> Money:
        """The buyer's total: the sum of the lines (processing cost excluded)."""
        return sum_money((line.amount for line in self.lines), self.currency)

    def amount_of(self, kind: FeeLineKind) -> Money:
        """The amount of the ``kind`` line, or zero if there is none."""
        for line in self.lines:
            if line.kind is kind:
                return line.amount
        return Money.zero(self.currency)


def build_fee_breakdown(
    *,
    schedule: FeeSchedule,
    ticket_price: Money,
    trailing_30d_volume: Money,
    terms: VenueFeeTerms,
    gas_estimate: Money,
    state_tax: Money,
    local_tax: Money,
    special_tax: Money,
) -> FeeBreakdown:
    """Price a purchase: the ticket price plus platform fee, gas estimate and taxes.

    The platform fee is the venue's resolved rate (``FeeSchedule.resolve``) of
    ``ticket_price``, rounded half-up to a whole minor unit; it is the only amount rounded
    here. Gas and taxes are taken as given (the tax calculator rounds its own lines). The
    breakdown has one line of each ``FeeLineKind``, zero amounts included, and its
    ``processing_cost`` is ``schedule.processing_cost(total)``. Every amount must be in the
    schedule's currency and not negative. Pure: computes, moves and records nothing.
    """
    tier, platform_fee_bps = schedule.resolve(trailing_30d_volume, terms)
    platform_fee = percent_of(ticket_price, platform_fee_bps, Rounding.HALF_UP)
    lines = (
        FeeLine(FeeLineKind.TICKET_PRICE, ticket_price),
        FeeLine(FeeLineKind.PLATFORM_FEE, platform_fee),
        FeeLine(FeeLineKind.GAS_ESTIMATE, gas_estimate),
        FeeLine(FeeLineKind.STATE_TAX, state_tax),
        FeeLine(FeeLineKind.LOCAL_TAX, local_tax),
        FeeLine(FeeLineKind.SPECIAL_TAX, special_tax),
    )
    for line in lines:
        _require_currency(line.amount, schedule.currency, line.kind.value)
    total = sum_money((line.amount for line in lines), schedule.currency)
    return FeeBreakdown(
        lines=lines,
        tier=tier,
        platform_fee_bps=platform_fee_bps,
        processing_cost=schedule.processing_cost(total),
    )
