"""An amount of money: an integer count of a currency's minor units (cents for USD).

There is no float anywhere in this type. Amounts in different currencies never combine:
adding, subtracting or ordering them raises ``CurrencyMismatchError``. Two amounts in
different currencies are simply not equal (``==`` is value equality, so amounts stay
usable as dict keys and set members).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from tt_money.currency import Currency, currency_for
from tt_money.errors import CurrencyMismatchError
from tt_money.integers import require_int

__all__ = ["Money", "sum_money"]


def _check_minor(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    require_int(value, "Money.minor")


def _to_currency(currency: Currency | str) -> Currency:
    return currency if isinstance(currency, Currency) else currency_for(currency)


@attrs.frozen(order=False)
class Money:
    """``minor`` units of ``currency``: ``Money(1050, USD)`` is $10.50.

    ``minor`` must be an ``int``; a float, bool, Decimal or str raises ``TypeError``.
    """

    minor: int = attrs.field(validator=_check_minor)
    currency: Currency = attrs.field(validator=attrs.validators.instance_of(Currency))

    @classmethod
    def of(cls, minor: int, currency: Currency | str) -> Money:
        """Build an amount from minor units and a ``Currency`` or a supported ISO code."""
        return cls(minor, _to_currency(currency))

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        """Nothing, in ``currency``."""
        return cls(0, _to_currency(currency))

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    @property
    def is_positive(self) -> bool:
        return self.minor > 0

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency.code} with {other.currency.code}",
                details=[("currency", f"expected {self.currency.code}")],
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        """Scale by a whole number (a quantity). Fractions go through ``percent_of``."""
        return Money(self.minor * require_int(factor, "Money multiplier"), self.currency)

    def __rmul__(self, factor: int) -> Money:
        return self.__mul__(factor)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.minor >= other.minor

    def format(self) -> str:
        """Render as ``"USD 10.50"``: the code, then the amount with ``exponent`` decimals.

        Built from the integer's digits, so no amount is ever rounded by a float.
        """
        exponent = self.currency.exponent
        sign = "-" if self.minor < 0 else ""
        digits = str(abs(self.minor))
        if exponent == 0:
            return f"{self.currency.code} {sign}{digits}"
        digits = digits.rjust(exponent + 1, "0")
        return f"{self.currency.code} {sign}{digits[:-exponent]}.{digits[-exponent:]}"

    def __str__(self) -> str:
        return self.format()


def sum_money(items: Iterable[Money], currency: Currency) -> Money:
    """Add up ``items``; an empty iterable is zero in ``currency``.

    Every item must be in ``currency`` (else ``CurrencyMismatchError``). Exact: nothing is
    rounded.
    """
    total = Money.zero(currency)
    for item in items:
        total += item
    return total
