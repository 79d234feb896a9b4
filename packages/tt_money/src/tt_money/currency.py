"""ISO 4217 currencies and the number of minor-unit digits each one uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from tt_money.errors import UnsupportedCurrencyError
from tt_money.integers import require_int

__all__ = [
    "AUD",
    "CAD",
    "EUR",
    "GBP",
    "JPY",
    "SUPPORTED_CURRENCIES",
    "USD",
    "Currency",
    "currency_for",
]

_ISO_CODE = re.compile(r"[A-Z]{3}")
# No ISO 4217 currency in circulation uses more than four minor-unit digits.
_MAX_EXPONENT = 4


def _check_code(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or _ISO_CODE.fullmatch(value) is None:
        raise ValueError(f"currency code must be three upper-case letters, not {value!r}")


def _check_exponent(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    exponent = require_int(value, "exponent")
    if not 0 <= exponent <= _MAX_EXPONENT:
        raise ValueError(f"currency exponent must be 0..{_MAX_EXPONENT}, not {exponent}")


@attrs.frozen
class Currency:
    """A currency: its ISO 4217 ``code`` and ``exponent``, the digits after the decimal point.

    USD has exponent 2 (1 dollar = 100 cents); JPY has exponent 0 (the yen is the minor unit).
    """

    code: str = attrs.field(validator=_check_code)
    exponent: int = attrs.field(validator=_check_exponent)

    def __str__(self) -> str:
        return self.code


USD = Currency("USD", 2)
EUR = Currency("EUR", 2)
GBP = Currency("GBP", 2)
CAD = Currency("CAD", 2)
AUD = Currency("AUD", 2)
JPY = Currency("JPY", 0)

SUPPORTED_CURRENCIES: Mapping[str, Currency] = MappingProxyType(
    {currency.code: currency for currency in (USD, EUR, GBP, CAD, AUD, JPY)}
)


def currency_for(code: str) -> Currency:
    """Look up a supported currency by its ISO 4217 code, ignoring case.

    Raises ``UnsupportedCurrencyError`` (naming the code) for a code we do not support.
    """
    if not isinstance(code, str):
        raise TypeError(f"currency code must be a str, not {type(code).__name__}")
    currency = SUPPORTED_CURRENCIES.get(code.upper())
    if currency is None:
        raise UnsupportedCurrencyError(
            f"unsupported currency {code!r}; supported: {', '.join(SUPPORTED_CURRENCIES)}",
            details=[("currency", f"unsupported currency {code!r}")],
        )
    return currency
