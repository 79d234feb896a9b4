"""build_fee_breakdown() and FeeBreakdown: what the buyer pays, line by line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_money import (
    EUR,
    USD,
    CurrencyMismatchError,
    FeeBreakdown,
    FeeLine,
    FeeLineKind,
    FeeSchedule,
    InvalidInputError,
    Money,
    VenueFeeTerms,
    VenueTier,
    build_fee_breakdown,
)

DEFAULT = FeeSchedule.default()
cents = st.integers(min_value=0, max_value=10**10)


def usd(minor: int) -> Money:
    return Money(minor, USD)


def breakdown(
    *,
    ticket_price: int = 10000,
    volume: int = 0,
    terms: VenueFeeTerms | None = None,
    gas: int = 100,
    state: int = 700,
    local: int = 225,
    special: int = 0,
) -> FeeBreakdown:
    return build_fee_breakdown(
        schedule=DEFAULT,
        ticket_price=usd(ticket_price),
        trailing_30d_volume=usd(volume),
        terms=terms or VenueFeeTerms(),
        gas_estimate=usd(gas),
        state_tax=usd(state),
        local_tax=usd(local),
        special_tax=usd(special),
    )


def test_the_calculate_fees_example_totals_11845() -> None:
    # given a $100.00 ticket at a starter venue, gas 100, Nashville taxes before 2025-02-01
    fees = breakdown()
    # then the lines and total are the spec's response
    amounts = {line.kind.value: line.amount.minor for line in fees.lines}
    assert amounts == {
        "ticketPrice": 10000,
        "platformFee": 820,
        "gasEstimate": 100,
        "stateTax": 700,
        "localTax": 225,
        "specialTax": 0,
    }
    assert fees.total == usd(11845)
    assert fees.tier is VenueTier.STARTER
    assert fees.platform_fee_bps == 820


def test_the_pro_tier_example_totals_11765() -> None:
    # given a pro venue ($10,000.00 trailing volume) and gas 50
    fees = breakdown(volume=1_000_000, gas=50)
    # then the platform fee is 7.9% and the total is the spec's
    assert fees.amount_of(FeeLineKind.PLATFORM_FEE) == usd(790)
    assert fees.total == usd(11765)
    assert fees.tier is VenueTier.PRO


def test_a_special_levy_is_a_line_and_counts_in_the_total() -> None:
    fees = breakdown(special=100)  # 1% entertainment tax on $100.00
    assert fees.amount_of(FeeLineKind.SPECIAL_TAX) == usd(100)
    assert fees.total == usd(11945)


def test_processing_cost_is_the_platforms_cost_and_not_in_the_total() -> None:
    fees = breakdown()
    assert fees.processing_cost == usd(374)  # 2.9% of 11845 = 343.505 -> 344, + 30
    assert fees.total == usd(11845)
    # the lines are exactly what the buyer pays: no processing-cost line among them
    assert [line.kind for line in fees.lines] == list(FeeLineKind)


def test_the_platform_fee_rounds_half_up() -> None:
    # 8.2% of $12.50 is exactly 102.5 cents
    assert breakdown(ticket_price=1250).amount_of(FeeLineKind.PLATFORM_FEE) == usd(103)


def test_a_negotiated_rate_sets_the_platform_fee() -> None:
    fees = breakdown(terms=VenueFeeTerms(platform_fee_bps_override=500))
    assert fees.amount_of(FeeLineKind.PLATFORM_FEE) == usd(500)
    assert fees.platform_fee_bps == 500


@given(price=cents, volume=cents, extras=st.tuples(cents, cents, cents, cents))
def test_the_total_is_always_the_sum_of_the_lines(
    price: int, volume: int, extras: tuple[int, int, int, int]
) -> None:
    # given any price, volume, gas estimate and taxes
    gas, state, local, special = extras
    # when the breakdown is built
    fees = breakdown(
        ticket_price=price, volume=volume, gas=gas, state=state, local=local, special=special
    )
    # then its total is exactly its lines, and the card cost is priced on that total
    assert fees.total.minor == sum(line.amount.minor for line in fees.lines)
    platform_fee = fees.amount_of(FeeLineKind.PLATFORM_FEE).minor
    assert fees.total.minor == price + platform_fee + gas + state + local + special
    assert fees.processing_cost == DEFAULT.processing_cost(fees.total)


@given(a=cents, b=cents, volume=cents)
def test_the_platform_fee_never_decreases_as_the_price_grows(a: int, b: int, volume: int) -> None:
    low, high = sorted((a, b))
    low_fee = breakdown(ticket_price=low, volume=volume).amount_of(FeeLineKind.PLATFORM_FEE)
    high_fee = breakdown(ticket_price=high, volume=volume).amount_of(FeeLineKind.PLATFORM_FEE)
    assert low_fee <= high_fee


def test_an_input_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        build_fee_breakdown(
            schedule=DEFAULT,
            ticket_price=usd(10000),
            trailing_30d_volume=usd(0),
            terms=VenueFeeTerms(),
            gas_estimate=Money(100, EUR),
            state_tax=usd(700),
            local_tax=usd(225),
            special_tax=usd(0),
        )


def test_a_negative_tax_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        breakdown(state=-1)


def test_line_kinds_are_the_spec_json_keys() -> None:
    assert [kind.value for kind in FeeLineKind] == [
        "ticketPrice",
        "platformFee",
        "gasEstimate",
        "stateTax",
        "localTax",
        "specialTax",
    ]


def test_a_missing_line_reads_as_zero() -> None:
    fees = FeeBreakdown(
        lines=(FeeLine(FeeLineKind.TICKET_PRICE, usd(5000)),),
        tier=VenueTier.STARTER,
        platform_fee_bps=0,
        processing_cost=usd(175),
    )
    assert fees.amount_of(FeeLineKind.GAS_ESTIMATE) == usd(0)
    assert fees.total == usd(5000)
    assert fees.currency == USD


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (
            (FeeLine(FeeLineKind.TICKET_PRICE, usd(1)), FeeLine(FeeLineKind.TICKET_PRICE, usd(2))),
            InvalidInputError,
        ),
        ((FeeLine(FeeLineKind.STATE_TAX, usd(-1)),), InvalidInputError),
        (
            (
                FeeLine(FeeLineKind.TICKET_PRICE, usd(1)),
                FeeLine(FeeLineKind.GAS_ESTIMATE, Money(1, EUR)),
            ),
            CurrencyMismatchError,
        ),
    ],
)
def test_a_malformed_breakdown_cannot_be_built(
    lines: tuple[FeeLine, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        FeeBreakdown(lines=lines, tier=VenueTier.PRO, platform_fee_bps=790, processing_cost=usd(0))


def test_a_negative_processing_cost_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        FeeBreakdown(lines=(), tier=VenueTier.PRO, platform_fee_bps=790, processing_cost=usd(-1))
