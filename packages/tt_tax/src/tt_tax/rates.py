"""Dated tax rates: what one jurisdiction charges over one span of days.

Rates are ``Decimal`` basis points (700 = 7%, ``Decimal("687.5")`` = 6.875%), never floats.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal, InvalidOperation

import attrs

__all__ = [
    "MAX_RATE_BPS",
    "ApplicableRates",
    "Rate",
    "StateRate",
    "TaxSource",
    "bps_from_fraction",
    "bps_from_percent",
    "check_rate_bps",
]

MAX_RATE_BPS = Decimal(2000)
"""20%: no US sales tax component comes near it, so anything above is a data error."""


def bps_from_percent(text: str) -> Decimal:
    """Parse a percent string (``"6.875"``) into exact basis points (``Decimal("687.5")``).

    Whole basis points come back as integral Decimals (``"7"`` -> ``Decimal(700)``).
    Raises ``ValueError`` for text that is not a finite decimal number.
    """
    try:
        percent = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a decimal number") from None
    if not percent.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return _tidy(percent.scaleb(2))


def bps_from_fraction(fraction: Decimal) -> Decimal:
    """Exact basis points of a rate given as a fraction (``Decimal("0.0625")`` -> 625), the
    way TaxJar answers. Raises ``ValueError`` for a value that is not finite."""
    if not fraction.is_finite():
        raise ValueError(f"{fraction} is not a finite number")
    return _tidy(fraction.scaleb(4))


def _tidy(bps: Decimal) -> Decimal:
    """Whole basis points as integral Decimals (700, not 700.0000); others normalised."""
    return Decimal(int(bps)) if bps == bps.to_integral_value() else bps.normalize()


def check_rate_bps(_instance: object, _attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    """attrs validator: ``value`` is a finite Decimal of 0..``MAX_RATE_BPS`` basis points."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"rate_bps must be a finite Decimal, not {value!r}")
    if not 0 <= value <= MAX_RATE_BPS:
        raise ValueError(
            f"rate {value.scaleb(-2)}% ({value} bp) is outside 0..{MAX_RATE_BPS.scaleb(-2)}%"
        )


@attrs.frozen(kw_only=True)
class Rate:
    """``rate_bps`` charged by ``jurisdiction`` from ``effective_from`` to ``effective_to``
    (both inclusive; ``None`` means open-ended). ``name`` is what a receipt calls it."""

    jurisdiction: str
    name: str
    rate_bps: Decimal = attrs.field(validator=check_rate_bps)
    effective_from: datetime.date
    effective_to: datetime.date | None = None

    def __attrs_post_init__(self) -> None:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"{self.jurisdiction}: effective_to {self.effective_to} is before "
                f"effective_from {self.effective_from}"
            )

    def covers(self, on_date: datetime.date) -> bool:
        """Whether this rate is in force on ``on_date``."""
        return self.effective_from <= on_date and (
            self.effective_to is None or on_date <= self.effective_to
        )


@attrs.frozen(kw_only=True)
class StateRate(Rate):
    """A state's base sales tax, with whether it reaches admission tickets to live events.

    When ``admissions_taxable`` is false the state's sales tax (and the local sales tax
    riding on it) does not apply to tickets; separate levies may still.
    """

    admissions_taxable: bool


class TaxSource(enum.Enum):
    """Where a set of rates came from: the API's ``taxSource``."""

    TAXJAR = "taxjar"
    TABLES = "tables"


@attrs.frozen(kw_only=True)
class ApplicableRates:
    """Every rate a rate source found for one address on one date.

    ``local`` is returned even where the state exempts admissions: deciding what applies to
    a ticket is the calculator's job, not the source's. ``source`` says who answered.
    """

    state: StateRate
    local: Rate | None = None
    specials: tuple[Rate, ...] = ()
    source: TaxSource = TaxSource.TABLES
