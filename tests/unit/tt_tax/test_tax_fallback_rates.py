"""FallbackRates: the tables answer when the primary source cannot, and the result says so."""

from __future__ import annotations

import datetime
from decimal import Decimal

import attrs
import pytest

from tt_money import USD, Money
from tt_money.errors import TicketTokenError
from tt_tax import (
    Address,
    ApplicableRates,
    BundledRates,
    FallbackRates,
    RateSourceUnavailableError,
    TaxCalculator,
    TaxSource,
    UnknownJurisdictionError,
    bps_from_fraction,
)

ON = datetime.date(2025, 1, 15)
NASHVILLE = Address(city="Nashville", state="TN", zip="37203")
SAN_JUAN = Address(city="San Juan", state="PR", zip="00901")


class FakeRemoteRates:
    """A primary source that answers the tables' rates as its own, or fails as told."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.calls = 0

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        answer = BundledRates.load().rates_for(address, on_date)
        return attrs.evolve(answer, source=TaxSource.TAXJAR)


def test_the_primary_answers_when_it_can() -> None:
    fallbacks: list[TicketTokenError] = []
    rates = FallbackRates(FakeRemoteRates(), BundledRates.load(), on_fallback=fallbacks.append)
    result = TaxCalculator(rates).calculate(Money(10000, USD), NASHVILLE, None, ON)
    assert (result.total.minor, result.tax_source) == (1025, TaxSource.TAXJAR)
    assert fallbacks == []


@pytest.mark.parametrize(
    "failure",
    [
        RateSourceUnavailableError("TaxJar did not answer: read timed out"),
        UnknownJurisdictionError("TaxJar knows no rates here"),
    ],
)
def test_the_tables_answer_when_the_primary_fails(failure: TicketTokenError) -> None:
    # given a primary that fails
    fallbacks: list[TicketTokenError] = []
    rates = FallbackRates(
        FakeRemoteRates(failure), BundledRates.load(), on_fallback=fallbacks.append
    )
    # when a sale is taxed
    result = TaxCalculator(rates).calculate(Money(10000, USD), NASHVILLE, None, ON)
    # then the tables answered, the result says so, and the fallback was reported
    assert (result.total.minor, result.tax_source) == (1025, TaxSource.TABLES)
    assert fallbacks == [failure]


def test_when_both_fail_the_fallbacks_error_is_raised_chained_to_the_primarys() -> None:
    outage = RateSourceUnavailableError("TaxJar answered 500")
    rates = FallbackRates(FakeRemoteRates(outage), BundledRates.load())
    with pytest.raises(UnknownJurisdictionError) as raised:
        rates.rates_for(SAN_JUAN, ON)
    assert raised.value.__cause__ is outage


def test_a_bug_in_the_primary_is_not_swallowed() -> None:
    rates = FallbackRates(FakeRemoteRates(KeyError("state_rate")), BundledRates.load())
    with pytest.raises(KeyError):
        rates.rates_for(NASHVILLE, ON)


def test_tables_and_results_default_to_the_tables_source(calculator: TaxCalculator) -> None:
    assert BundledRates.load().rates_for(NASHVILLE, ON).source is TaxSource.TABLES
    result = calculator.calculate(Money(10000, USD), NASHVILLE, None, ON)
    assert result.tax_source is TaxSource.TABLES
    assert result.tax_source.value == "tables"


@pytest.mark.parametrize(
    ("fraction", "bps"),
    [("0.07", "700"), ("0.0625", "625"), ("0.06875", "687.5"), ("0.0", "0"), ("0", "0")],
)
def test_bps_from_fraction_is_exact(fraction: str, bps: str) -> None:
    assert bps_from_fraction(Decimal(fraction)) == Decimal(bps)
    assert str(bps_from_fraction(Decimal(fraction))) == bps


def test_bps_from_fraction_refuses_infinity() -> None:
    with pytest.raises(ValueError, match="finite"):
        bps_from_fraction(Decimal("Infinity"))
