"""Money: integer minor units, one currency at a time, never a float."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_money import (
    EUR,
    JPY,
    USD,
    Currency,
    CurrencyMismatchError,
    Money,
    UnsupportedCurrencyError,
    sum_money,
)

minor_units = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from([USD, EUR, JPY, Currency("BHD", 3)])


@pytest.mark.parametrize("minor", [1.0, 10.5, True, Decimal("1"), "100", None])
def test_money_refuses_anything_but_an_int_for_minor_units(minor: object) -> None:
    with pytest.raises(TypeError):
        Money(minor, USD)  # type: ignore[arg-type]


def test_money_refuses_a_currency_that_is_not_a_currency() -> None:
    with pytest.raises(TypeError):
        Money(100, "USD")  # type: ignore[arg-type]


def test_money_of_accepts_an_iso_code_in_any_case() -> None:
    assert Money.of(1050, "usd") == Money(1050, USD)
    assert Money.of(1050, EUR) == Money(1050, EUR)


def test_money_of_refuses_an_unknown_code() -> None:
    with pytest.raises(UnsupportedCurrencyError, match="ZZZ"):
        Money.of(1, "ZZZ")


def test_zero_is_zero_and_neither_positive_nor_negative() -> None:
    zero = Money.zero("JPY")
    assert zero == Money(0, JPY)
    assert zero.is_zero
    assert not zero.is_positive
    assert not zero.is_negative


def test_sign_predicates_follow_the_minor_units() -> None:
    assert Money(1, USD).is_positive
    assert not Money(1, USD).is_negative
    assert Money(-1, USD).is_negative
    assert not Money(-1, USD).is_zero


def test_money_is_immutable() -> None:
    price = Money(1050, USD)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        price.minor = 1  # type: ignore[misc]


@given(a=minor_units, b=minor_units, currency=currencies)
def test_adding_and_subtracting_works_on_minor_units(a: int, b: int, currency: Currency) -> None:
    # given two amounts in one currency
    x, y = Money(a, currency), Money(b, currency)
    # when they are combined, then the minor units combine exactly
    assert x + y == Money(a + b, currency)
    assert x - y == Money(a - b, currency)
    assert (x + y) - y == x


@given(a=minor_units, currency=currencies)
def test_negation_and_absolute_value(a: int, currency: Currency) -> None:
    assert -Money(a, currency) == Money(-a, currency)
    assert abs(Money(a, currency)) == Money(abs(a), currency)
    assert +Money(a, currency) == Money(a, currency)


@given(a=minor_units, b=minor_units)
def test_ordering_follows_the_minor_units(a: int, b: int) -> None:
    x, y = Money(a, USD), Money(b, USD)
    assert (x < y) == (a < b)
    assert (x <= y) == (a <= b)
    assert (x > y) == (a > b)
    assert (x >= y) == (a >= b)
    assert (x == y) == (a == b)


@given(a=minor_units, factor=st.integers(min_value=-1000, max_value=1000))
def test_multiplying_by_a_whole_number_scales_from_either_side(a: int, factor: int) -> None:
    assert Money(a, USD) * factor == Money(a * factor, USD)
    assert factor * Money(a, USD) == Money(a * factor, USD)


@pytest.mark.parametrize("factor", [1.5, 2.0, Decimal("2"), True])
def test_multiplying_by_anything_but_an_int_is_refused(factor: object) -> None:
    price: Any = Money(1000, USD)
    with pytest.raises(TypeError):
        price * factor
    with pytest.raises(TypeError):
        factor * price


def test_multiplying_money_by_money_is_refused() -> None:
    price: Any = Money(1000, USD)
    with pytest.raises(TypeError):
        price * price


def test_adding_a_bare_number_to_money_is_refused() -> None:
    price: Any = Money(1000, USD)
    with pytest.raises(TypeError):
        price + 1
    with pytest.raises(TypeError):
        1 + price


_COMBINATIONS: list[Callable[[Money, Money], object]] = [
    lambda x, y: x + y,
    lambda x, y: x - y,
    lambda x, y: x < y,
    lambda x, y: x <= y,
    lambda x, y: x > y,
    lambda x, y: x >= y,
]


@pytest.mark.parametrize("combine", _COMBINATIONS)
def test_combining_two_currencies_is_refused(combine: Callable[[Money, Money], object]) -> None:
    with pytest.raises(CurrencyMismatchError) as raised:
        combine(Money(100, USD), Money(100, EUR))
    assert raised.value.code == "CURRENCY_MISMATCH"


def test_amounts_in_different_currencies_are_never_equal() -> None:
    assert Money(100, USD) != Money(100, EUR)
    assert len({Money(100, USD), Money(100, EUR), Money(100, USD)}) == 2


def test_sum_money_adds_every_item() -> None:
    items = [Money(1050, USD), Money(-50, USD), Money(7, USD)]
    assert sum_money(items, USD) == Money(1007, USD)


def test_sum_of_nothing_is_zero_in_the_given_currency() -> None:
    assert sum_money([], JPY) == Money(0, JPY)


def test_sum_money_refuses_an_item_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money(1, USD), Money(1, EUR)], USD)
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money(1, EUR)], USD)


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1050, USD), "USD 10.50"),
        (Money(5, USD), "USD 0.05"),
        (Money(-5, USD), "USD -0.05"),
        (Money(0, EUR), "EUR 0.00"),
        (Money(-123456789, USD), "USD -1234567.89"),
        (Money(1000, JPY), "JPY 1000"),
        (Money(-7, JPY), "JPY -7"),
        (Money(1, Currency("BHD", 3)), "BHD 0.001"),
    ],
)
def test_format_writes_the_code_and_the_amount_with_the_currency_exponent(
    money: Money, text: str
) -> None:
    assert money.format() == text
    assert str(money) == text


@given(a=minor_units, currency=currencies)
def test_formatted_amount_reads_back_to_the_same_minor_units(a: int, currency: Currency) -> None:
    code, amount = Money(a, currency).format().split(" ")
    assert code == currency.code
    assert Decimal(amount).scaleb(currency.exponent) == a
    assert len(amount.partition(".")[2]) == currency.exponent
