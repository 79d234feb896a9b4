"""FeeSchedule: venue tiers by trailing 30-day volume, overrides, card processing cost."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_money import (
    EUR,
    USD,
    CurrencyMismatchError,
    FeeSchedule,
    InvalidInputError,
    Money,
    TierRule,
    VenueFeeTerms,
    VenueTier,
)

DEFAULT = FeeSchedule.default()
RANK = {VenueTier.STARTER: 0, VenueTier.PRO: 1, VenueTier.ENTERPRISE: 2}
volumes = st.integers(min_value=0, max_value=10**11)


@pytest.mark.parametrize(
    ("volume_cents", "tier"),
    [
        (0, VenueTier.STARTER),
        (999_999, VenueTier.STARTER),  # $9,999.99
        (1_000_000, VenueTier.PRO),  # $10,000.00
        (10_000_000, VenueTier.PRO),  # $100,000.00
        (10_000_001, VenueTier.ENTERPRISE),  # $100,000.01
        (10**12, VenueTier.ENTERPRISE),
    ],
)
def test_the_default_schedule_tiers_at_the_spec_boundaries(
    volume_cents: int, tier: VenueTier
) -> None:
    assert DEFAULT.tier_for_volume(Money(volume_cents, USD)) is tier


@given(a=volumes, b=volumes)
def test_a_larger_volume_never_earns_a_lower_tier(a: int, b: int) -> None:
    low, high = sorted((a, b))
    low_tier = DEFAULT.tier_for_volume(Money(low, USD))
    high_tier = DEFAULT.tier_for_volume(Money(high, USD))
    assert RANK[low_tier] <= RANK[high_tier]


@given(a=volumes, b=volumes)
def test_a_larger_volume_never_pays_a_higher_rate(a: int, b: int) -> None:
    low, high = sorted((a, b))
    low_bps = DEFAULT.platform_fee_bps(DEFAULT.tier_for_volume(Money(low, USD)))
    high_bps = DEFAULT.platform_fee_bps(DEFAULT.tier_for_volume(Money(high, USD)))
    assert low_bps >= high_bps


def test_the_default_rates_are_the_spec_rates() -> None:
    assert DEFAULT.platform_fee_bps(VenueTier.STARTER) == 820
    assert DEFAULT.platform_fee_bps(VenueTier.PRO) == 790
    assert DEFAULT.platform_fee_bps(VenueTier.ENTERPRISE) == 750
    assert DEFAULT.card_processing_bps == 290
    assert DEFAULT.card_processing_fixed == Money(30, USD)


def test_a_negative_volume_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        DEFAULT.tier_for_volume(Money(-1, USD))


def test_a_volume_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        DEFAULT.tier_for_volume(Money(1_000_000, EUR))


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (VenueFeeTerms(), (VenueTier.PRO, 790)),
        (VenueFeeTerms(tier_override=VenueTier.ENTERPRISE), (VenueTier.ENTERPRISE, 750)),
        (VenueFeeTerms(tier_override=VenueTier.STARTER), (VenueTier.STARTER, 820)),
        (VenueFeeTerms(platform_fee_bps_override=500), (VenueTier.PRO, 500)),
        (
            VenueFeeTerms(tier_override=VenueTier.ENTERPRISE, platform_fee_bps_override=0),
            (VenueTier.ENTERPRISE, 0),
        ),
    ],
)
def test_a_rate_override_wins_then_a_tier_override_then_the_volume(
    terms: VenueFeeTerms, expected: tuple[VenueTier, int]
) -> None:
    # given a pro-volume venue ($50,000.00 trailing volume)
    volume = Money(5_000_000, USD)
    # when its terms are resolved, then overrides apply in order
    assert DEFAULT.resolve(volume, terms) == expected


def test_resolving_still_checks_the_volume_when_overridden() -> None:
    with pytest.raises(CurrencyMismatchError):
        DEFAULT.resolve(Money(1, EUR), VenueFeeTerms(platform_fee_bps_override=100))


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_an_override_rate_outside_0_to_10000_bps_is_refused(bps: int) -> None:
    with pytest.raises(InvalidInputError):
        VenueFeeTerms(platform_fee_bps_override=bps)


def test_an_override_rate_that_is_a_float_is_refused() -> None:
    loose: Any = VenueFeeTerms
    with pytest.raises(TypeError):
        loose(platform_fee_bps_override=7.5)


@pytest.mark.parametrize(
    ("charged", "cost"),
    [
        (0, 0),
        (10000, 320),  # 2.9% of $100.00 + 30c
        (11845, 374),  # 343.505 -> 344, + 30
        (1, 30),  # 0.029 -> 0, + 30
        (50, 31),  # 1.45 -> 1, + 30
    ],
)
def test_processing_cost_is_2_9_percent_rounded_half_up_plus_30_cents(
    charged: int, cost: int
) -> None:
    assert DEFAULT.processing_cost(Money(charged, USD)) == Money(cost, USD)


def test_processing_cost_refuses_another_currency_and_negative_charges() -> None:
    with pytest.raises(CurrencyMismatchError):
        DEFAULT.processing_cost(Money(100, EUR))
    with pytest.raises(InvalidInputError):
        DEFAULT.processing_cost(Money(-100, USD))


def _rule(tier: VenueTier, minor: int, bps: int = 800, currency: Any = USD) -> TierRule:
    return TierRule(tier=tier, min_volume=Money(minor, currency), platform_fee_bps=bps)


@pytest.mark.parametrize(
    ("tiers", "error"),
    [
        ((), InvalidInputError),
        ((_rule(VenueTier.STARTER, 100),), InvalidInputError),
        ((_rule(VenueTier.STARTER, 0), _rule(VenueTier.PRO, 0)), InvalidInputError),
        (
            (
                _rule(VenueTier.STARTER, 0),
                _rule(VenueTier.PRO, 500),
                _rule(VenueTier.ENTERPRISE, 400),
            ),
            InvalidInputError,
        ),
        ((_rule(VenueTier.STARTER, 0), _rule(VenueTier.STARTER, 500)), InvalidInputError),
        (
            (_rule(VenueTier.STARTER, 0), _rule(VenueTier.PRO, 500, currency=EUR)),
            CurrencyMismatchError,
        ),
    ],
)
def test_a_malformed_schedule_cannot_be_built(
    tiers: tuple[TierRule, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        FeeSchedule(tiers=tiers)


def test_a_schedule_in_another_currency_needs_a_fixed_fee_in_that_currency() -> None:
    tiers = (_rule(VenueTier.STARTER, 0, currency=EUR),)
    with pytest.raises(CurrencyMismatchError):
        FeeSchedule(tiers=tiers)
    schedule = FeeSchedule(tiers=tiers, card_processing_fixed=Money(25, EUR))
    assert schedule.processing_cost(Money(10000, EUR)) == Money(315, EUR)


def test_a_schedule_without_a_tier_has_no_rate_for_it() -> None:
    schedule = FeeSchedule(tiers=(_rule(VenueTier.STARTER, 0),))
    with pytest.raises(InvalidInputError):
        schedule.platform_fee_bps(VenueTier.ENTERPRISE)


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_a_tier_rate_outside_0_to_10000_bps_is_refused(bps: int) -> None:
    with pytest.raises(InvalidInputError):
        _rule(VenueTier.STARTER, 0, bps=bps)


def test_a_negative_tier_threshold_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        _rule(VenueTier.STARTER, -1)
