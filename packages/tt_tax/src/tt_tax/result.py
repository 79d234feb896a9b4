"""What a tax calculation answers: one line per tax charged, and their sums."""

from __future__ import annotations

import datetime
import enum
from collections import Counter
from decimal import Decimal

import attrs

from tt_money import Money, sum_money
from tt_tax.address import Address
from tt_tax.rates import TaxSource, check_rate_bps

__all__ = ["TaxLine", "TaxLineKind", "TaxResult"]


class TaxLineKind(enum.Enum):
    """Which layer of tax a line is: the spec's ``stateTax``, ``localTax``, ``specialTax``."""

    STATE = "state"
    LOCAL = "local"
    SPECIAL = "special"


@attrs.frozen(kw_only=True)
class TaxLine:
    """One tax charged: ``amount`` is ``rate_bps`` of the taxable amount, rounded half-up
    to a whole minor unit on this line alone."""

    kind: TaxLineKind
    name: str
    jurisdiction: str
    rate_bps: Decimal = attrs.field(validator=check_rate_bps)
    amount: Money

    @property
    def rate_percent(self) -> Decimal:
        """The rate as a percentage, exactly: 700 bp -> ``Decimal("7.00")``, 687.5 -> 6.875."""
        return self.rate_bps.scaleb(-2)


# The API reports one state and one local line; only special levies may stack.
_AT_MOST_ONE = (TaxLineKind.STATE, TaxLineKind.LOCAL)


@attrs.frozen(kw_only=True)
class TaxResult:
    """The tax on ``taxable_amount`` at a venue on ``on_date``.

    ``jurisdiction`` is the most specific one charging tax (``"TN-DAVIDSON"``, else the
    state, ``"TN"``). ``customer_address`` is kept for nexus tracking; it does not change
    the rates. The totals are always derived from ``lines``, never stored apart from them.
    ``tax_source`` says whose rates were used (the API's ``taxSource``).
    """

    taxable_amount: Money
    lines: tuple[TaxLine, ...]
    on_date: datetime.date
    jurisdiction: str
    customer_address: Address | None = None
    tax_source: TaxSource = TaxSource.TABLES

    def __attrs_post_init__(self) -> None:
        counts = Counter(line.kind for line in self.lines)
        for kind in _AT_MOST_ONE:
            if counts[kind] > 1:
                raise ValueError(f"a tax result has at most one {kind.value} line")
        for line in self.lines:
            if line.amount.currency != self.taxable_amount.currency:
                raise ValueError(
                    f"{line.name} is in {line.amount.currency.code}, "
                    f"not {self.taxable_amount.currency.code}"
                )

    def line(self, kind: TaxLineKind) -> TaxLine | None:
        """The first line of ``kind``, or ``None`` when no such tax applies."""
        return next((line for line in self.lines if line.kind is kind), None)

    def lines_of(self, kind: TaxLineKind) -> tuple[TaxLine, ...]:
        """Every line of ``kind``, in order."""
        return tuple(line for line in self.lines if line.kind is kind)

    def _sum(self, lines: tuple[TaxLine, ...]) -> Money:
        return sum_money((line.amount for line in lines), self.taxable_amount.currency)

    @property
    def state_tax(self) -> Money:
        return self._sum(self.lines_of(TaxLineKind.STATE))

    @property
    def local_tax(self) -> Money:
        return self._sum(self.lines_of(TaxLineKind.LOCAL))

    @property
    def special_tax(self) -> Money:
        return self._sum(self.lines_of(TaxLineKind.SPECIAL))

    @property
    def total(self) -> Money:
        """Every line added up: the spec's ``totalTax``."""
        return self._sum(self.lines)
