"""Currencies: ISO codes, exponents, and lookup by code."""

from __future__ import annotations

import pytest

from tt_money import (
    AUD,
    CAD,
    EUR,
    GBP,
    JPY,
    SUPPORTED_CURRENCIES,
    USD,
    Currency,
    UnsupportedCurrencyError,
    currency_for,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("USD", USD), ("usd", USD), ("Eur", EUR), ("gbp", GBP), ("CAD", CAD), ("aud", AUD)],
)
def test_currency_lookup_ignores_case(code: str, expected: Currency) -> None:
    assert currency_for(code) == expected


def test_yen_has_no_minor_digits_and_cents_currencies_have_two() -> None:
    assert JPY.exponent == 0
    assert [USD.exponent, EUR.exponent, GBP.exponent, CAD.exponent, AUD.exponent] == [2] * 5


def test_an_unknown_code_is_refused_naming_the_code() -> None:
    with pytest.raises(UnsupportedCurrencyError, match="XBT") as raised:
        currency_for("XBT")
    assert raised.value.code == "UNSUPPORTED_CURRENCY"


def test_supported_currencies_are_the_six_constants_keyed_by_code() -> None:
    assert dict(SUPPORTED_CURRENCIES) == {
        "USD": USD,
        "EUR": EUR,
        "GBP": GBP,
        "CAD": CAD,
        "AUD": AUD,
        "JPY": JPY,
    }


def test_the_supported_table_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        SUPPORTED_CURRENCIES["CHF"] = Currency("CHF", 2)  # type: ignore[index]


@pytest.mark.parametrize(("code", "exponent"), [("usd", 2), ("US", 2), ("USD", -1), ("USD", 9)])
def test_a_malformed_currency_cannot_be_built(code: str, exponent: int) -> None:
    with pytest.raises(ValueError, match="currency"):
        Currency(code, exponent)


def test_a_float_exponent_is_refused() -> None:
    with pytest.raises(TypeError):
        Currency("USD", 2.0)  # type: ignore[arg-type]
