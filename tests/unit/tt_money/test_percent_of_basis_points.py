"""percent_of(): basis points of an amount, rounded once by a named mode."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_money import EUR, JPY, USD, InvalidInputError, Money, Rounding, percent_of

amounts = st.integers(min_value=0, max_value=10**12)
int_bps = st.integers(min_value=0, max_value=100_000)
decimal_bps = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False)
any_bps = st.one_of(int_bps, decimal_bps)


@pytest.mark.parametrize(
    ("amount", "bps", "expected"),
    [
        (1050, 700, 74),  # spec: 7% tax on $10.50 is 73.5 cents -> 74
        (10000, 820, 820),
        (10000, 790, 790),
        (10000, 700, 700),
        (10000, Decimal("225"), 225),
        (10000, Decimal("687.5"), 688),  # 6.875% of $100.00 = 687.5 -> 688
        (1, 4999, 0),
        (1, 5000, 1),
        (0, 820, 0),
        (10000, 25000, 25000),  # rates above 100% (price caps) are allowed
    ],
)
def test_percent_of_matches_the_spec_examples(
    amount: int, bps: int | Decimal, expected: int
) -> None:
    assert percent_of(amount, bps) == expected


def test_percent_of_money_keeps_the_currency() -> None:
    assert percent_of(Money(1050, USD), 700) == Money(74, USD)
    assert percent_of(Money(1050, JPY), Decimal("687.5")) == Money(72, JPY)


def test_the_default_rounding_is_half_away_from_zero() -> None:
    # given 7% of 1050 and of -1050: exactly 73.5 and -73.5
    assert percent_of(1050, 700) == 74
    assert percent_of(-1050, 700) == -74
    # a named mode changes only how that half goes
    assert percent_of(1050, 700, Rounding.HALF_EVEN) == 74
    assert percent_of(1150, 700, Rounding.HALF_EVEN) == 80  # 80.5 -> 80
    assert percent_of(1150, 700, Rounding.HALF_UP) == 81
    assert percent_of(1050, 700, Rounding.DOWN) == 73


@given(amount=st.integers(min_value=-(10**12), max_value=10**12), bps=decimal_bps)
def test_percent_of_agrees_with_a_decimal_reference(amount: int, bps: Decimal) -> None:
    with decimal.localcontext() as context:
        context.prec = 60
        exact = Decimal(amount) * bps / 10_000
        expected = int(exact.quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))
    assert percent_of(amount, bps) == expected


@given(amount=amounts, bps=any_bps, rounding=st.sampled_from(Rounding))
def test_percent_of_is_never_negative_for_non_negative_inputs(
    amount: int, bps: int | Decimal, rounding: Rounding
) -> None:
    assert percent_of(amount, bps, rounding) >= 0


@given(a=amounts, b=amounts, bps=any_bps, rounding=st.sampled_from(Rounding))
def test_percent_of_never_decreases_as_the_amount_grows(
    a: int, b: int, bps: int | Decimal, rounding: Rounding
) -> None:
    low, high = sorted((a, b))
    assert percent_of(low, bps, rounding) <= percent_of(high, bps, rounding)


@given(amount=amounts, bps=int_bps)
def test_percent_of_is_within_half_a_unit_of_the_exact_share(amount: int, bps: int) -> None:
    assert abs(percent_of(amount, bps) * 10_000 - amount * bps) <= 5_000


@given(amount=amounts, bps=int_bps)
def test_int_and_decimal_basis_points_give_the_same_answer(amount: int, bps: int) -> None:
    assert percent_of(amount, bps) == percent_of(amount, Decimal(bps))


@pytest.mark.parametrize(
    ("amount", "bps"),
    [
        (1.5, 700),
        (100, 7.0),
        (Decimal("100"), 700),
        ("100", 700),
        (True, 700),
        (100, True),
        (Money(100, EUR), 7.0),
    ],
)
def test_percent_of_refuses_floats_and_other_non_integers(amount: object, bps: object) -> None:
    loose: Any = percent_of
    with pytest.raises(TypeError):
        loose(amount, bps)


@pytest.mark.parametrize(
    "bps", [-1, Decimal("-0.5"), Decimal("NaN"), Decimal("Infinity"), Decimal("sNaN")]
)
def test_percent_of_refuses_negative_or_non_finite_rates(bps: int | Decimal) -> None:
    with pytest.raises(InvalidInputError):
        percent_of(10000, bps)
