"""divide(): exact integer division under each named rounding mode."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_money import InvalidInputError, Rounding, divide

# decimal's modes are the reference; they are named the same way as ours.
DECIMAL_MODE = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.DOWN: decimal.ROUND_DOWN,
    Rounding.UP: decimal.ROUND_UP,
    Rounding.FLOOR: decimal.ROUND_FLOOR,
    Rounding.CEILING: decimal.ROUND_CEILING,
}


def reference_divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    # 80 significant digits: far more than the inputs below can need to decide a rounding.
    with decimal.localcontext() as context:
        context.prec = 80
        quotient = Decimal(numerator) / Decimal(denominator)
        return int(quotient.quantize(Decimal(1), rounding=DECIMAL_MODE[rounding]))


def test_every_rounding_mode_has_a_reference() -> None:
    assert set(DECIMAL_MODE) == set(Rounding)


@given(
    numerator=st.integers(min_value=-(10**18), max_value=10**18),
    denominator=st.integers(min_value=1, max_value=10**8),
    rounding=st.sampled_from(Rounding),
)
def test_every_mode_agrees_with_decimal_quantize(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    assert divide(numerator, denominator, rounding) == reference_divide(
        numerator, denominator, rounding
    )


@given(
    quotient=st.integers(min_value=-(10**9), max_value=10**9),
    half_denominator=st.integers(min_value=1, max_value=10**6),
    rounding=st.sampled_from(Rounding),
)
def test_every_mode_agrees_with_decimal_on_exact_halves(
    quotient: int, half_denominator: int, rounding: Rounding
) -> None:
    # given a numerator exactly halfway between two multiples of the denominator
    denominator = 2 * half_denominator
    numerator = quotient * denominator + half_denominator
    # then each mode breaks the tie as decimal does
    assert divide(numerator, denominator, rounding) == reference_divide(
        numerator, denominator, rounding
    )


@pytest.mark.parametrize(
    ("numerator", "rounding", "expected"),
    [
        (5, Rounding.HALF_UP, 3),
        (-5, Rounding.HALF_UP, -3),
        (5, Rounding.HALF_EVEN, 2),
        (7, Rounding.HALF_EVEN, 4),
        (-5, Rounding.HALF_EVEN, -2),
        (7, Rounding.DOWN, 3),
        (-7, Rounding.DOWN, -3),
        (7, Rounding.UP, 4),
        (-7, Rounding.UP, -4),
        (-7, Rounding.FLOOR, -4),
        (7, Rounding.FLOOR, 3),
        (-7, Rounding.CEILING, -3),
        (7, Rounding.CEILING, 4),
    ],
)
def test_halves_and_thirds_round_as_each_mode_is_named(
    numerator: int, rounding: Rounding, expected: int
) -> None:
    assert divide(numerator, 2, rounding) == expected


@given(
    quotient=st.integers(min_value=-(10**12), max_value=10**12),
    denominator=st.integers(min_value=1, max_value=10**6),
    rounding=st.sampled_from(Rounding),
)
def test_an_exact_quotient_is_never_rounded(
    quotient: int, denominator: int, rounding: Rounding
) -> None:
    assert divide(quotient * denominator, denominator, rounding) == quotient


@pytest.mark.parametrize("denominator", [0, -3])
def test_a_denominator_that_is_not_positive_is_refused(denominator: int) -> None:
    with pytest.raises(InvalidInputError):
        divide(10, denominator, Rounding.HALF_UP)


@pytest.mark.parametrize(("numerator", "denominator"), [(10.0, 3), (10, 3.0), (True, 1)])
def test_division_refuses_floats_and_bools(numerator: object, denominator: object) -> None:
    with pytest.raises(TypeError):
        divide(numerator, denominator, Rounding.HALF_UP)  # type: ignore[arg-type]


def test_division_refuses_a_rounding_that_is_not_named() -> None:
    with pytest.raises(TypeError):
        divide(10, 3, decimal.ROUND_HALF_UP)  # type: ignore[arg-type]
