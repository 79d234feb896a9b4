"""Sales tax on admission tickets, charged where the performance happens."""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs

from tt_money import USD, Money, Rounding, percent_of
from tt_money.errors import InvalidInputError
from tt_tax.address import Address
from tt_tax.bundled_rates import BundledRates
from tt_tax.ports import RateSource
from tt_tax.rates import Rate, StateRate
from tt_tax.result import TaxLine, TaxLineKind, TaxResult

__all__ = ["TaxCalculator"]

_ZERO_BPS = Decimal(0)


class TaxCalculator:
    """Works out the tax lines on a ticket sale from a ``RateSource``.

    Without a source it uses the tables bundled with tt_tax (read once per process, when
    the first calculator is built).
    """

    def __init__(self, rates: RateSource | None = None) -> None:
        self._rates: RateSource = BundledRates.load() if rates is None else rates

    def check_address(self, venue_address: Address, on_date: datetime.date) -> None:
        """Raise ``UnknownJurisdictionError`` unless we have rates for ``venue_address``.

        Lets a venue be refused when it is registered, not at its first sale.
        """
        self._rates.rates_for(venue_address, on_date)

    def calculate(
        self,
        amount: Money,
        venue_address: Address,
        customer_address: Address | None,
        on_date: datetime.date,
    ) -> TaxResult:
        """The tax on ``amount`` (USD, >= 0) for an event at ``venue_address``, sold on
        ``on_date`` (the sale's date in the venue's time zone).

        Tax follows the venue: the performance happens there. ``customer_address`` is
        recorded on the result for later nexus work and does not change the rates.

        Lines: the state's sales tax; the local sales tax of the venue's place, if any; then
        each special levy of that place. Where the state's sales tax does not reach
        admissions the state line is 0% and named "... (admissions exempt)", no local line
        follows, and special levies still apply. Each line is ``percent_of(amount, rate,
        HALF_UP)`` on its own, so the total is the sum of the rounded lines. The result's
        ``tax_source`` is the one the rate source reported.

        Pure: reads rates, moves no money, writes nothing; the same inputs always give the
        same result. Raises ``InvalidInputError`` for a negative or non-USD amount or a
        ``datetime`` date, ``UnknownJurisdictionError`` for a state without rates and
        ``TaxRateUnavailableError`` for a date without rates.
        """
        _check_amount(amount)
        if isinstance(on_date, datetime.datetime):
            raise InvalidInputError(
                "on_date must be a date, not a datetime: take the sale's date in the venue's "
                "time zone"
            )
        rates = self._rates.rates_for(venue_address, on_date)
        state = rates.state
        if state.admissions_taxable:
            lines = [_line(TaxLineKind.STATE, state, amount)]
            if rates.local is not None:
                lines.append(_line(TaxLineKind.LOCAL, rates.local, amount))
        else:
            lines = [_line(TaxLineKind.STATE, _exempt(state), amount)]
        lines.extend(_line(TaxLineKind.SPECIAL, levy, amount) for levy in rates.specials)
        most_specific = next(
            (line.jurisdiction for line in lines if line.kind is TaxLineKind.LOCAL),
            state.jurisdiction,
        )
        return TaxResult(
            taxable_amount=amount,
            lines=tuple(lines),
            on_date=on_date,
            jurisdiction=most_specific,
            customer_address=customer_address,
            tax_source=rates.source,
        )


def _check_amount(amount: Money) -> None:
    if amount.currency != USD:
        raise InvalidInputError(
            f"US sales tax is charged on USD amounts, not {amount.currency.code}",
            details=[("amount", "must be in USD")],
        )
    if amount.is_negative:
        raise InvalidInputError(
            f"cannot tax a negative amount ({amount})",
            details=[("amount", "must not be negative")],
        )


def _exempt(state: StateRate) -> StateRate:
    """The state's rate as it applies to admissions it does not tax: zero, and saying so
    (a state with no sales tax at all keeps its own name, e.g. "Oregon (no state sales tax)")."""
    name = f"{state.name} (admissions exempt)" if state.rate_bps else state.name
    return attrs.evolve(state, rate_bps=_ZERO_BPS, name=name)


def _line(kind: TaxLineKind, rate: Rate, amount: Money) -> TaxLine:
    return TaxLine(
        kind=kind,
        name=rate.name,
        jurisdiction=rate.jurisdiction,
        rate_bps=rate.rate_bps,
        amount=percent_of(amount, rate.rate_bps, Rounding.HALF_UP),
    )
