"""Percentages as basis points (1 bp = 0.01%, 10,000 bp = 100%), applied to amounts exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import overload

from tt_money.errors import InvalidInputError
from tt_money.integers import require_int
from tt_money.money import Money
from tt_money.rounding import Rounding, divide

__all__ = ["BPS_PER_WHOLE", "percent_of", "require_rate_bps"]

BPS_PER_WHOLE = 10_000
"""Basis points in 100%."""


def require_rate_bps(value: object, name: str) -> int:
    """Return ``value`` if it is an int rate in 0..10,000 bp (0%..100%), else raise.

    A non-int raises ``TypeError``; an int out of range raises ``InvalidInputError``.
    """
    bps = require_int(value, name)
    if not 0 <= bps <= BPS_PER_WHOLE:
        raise InvalidInputError(
            f"{name} must be 0..{BPS_PER_WHOLE} basis points, not {bps}",
            details=[(name, f"must be 0..{BPS_PER_WHOLE} basis points")],
        )
    return bps


def _as_fraction(bps: int | Decimal) -> Fraction:
    if isinstance(bps, Decimal):
        if not bps.is_finite():
            raise InvalidInputError(f"basis points must be finite, not {bps}")
        rate = Fraction(bps)  # exact: a finite Decimal is a ratio of integers
    else:
        rate = Fraction(require_int(bps, "basis points"))
    if rate < 0:
        raise InvalidInputError(f"basis points must not be negative, not {bps}")
    return rate


@overload
def percent_of(amount: int, bps: int | Decimal, rounding: Rounding = ...) -> int: ...
@overload
def percent_of(amount: Money, bps: int | Decimal, rounding: Rounding = ...) -> Money: ...
def percent_of(
    amount: int | Money, bps: int | Decimal, rounding: Rounding = Rounding.HALF_UP
) -> int | Money:
    """Return ``amount * bps / 10,000`` in whole minor units, rounded by ``rounding``.

    The product is computed exactly and rounded once, to a whole minor unit, by the named
    mode (half away from zero by default): ``percent_of(1050, 700) == 74`` (73.5 -> 74).
    ``amount`` is an int of minor units or a ``Money`` (the result has the same type and
    currency); it may be negative. ``bps`` is a non-negative int or a finite ``Decimal``
    for fractional basis points (``Decimal("687.5")`` is 6.875%) and may exceed 10,000.
    A float for either argument raises ``TypeError``. Pure: no side effects.
    """
    rate = _as_fraction(bps)
    if isinstance(amount, Money):
        return Money(percent_of(amount.minor, bps, rounding), amount.currency)
    minor = require_int(amount, "amount")
    return divide(minor * rate.numerator, BPS_PER_WHOLE * rate.denominator, rounding)
