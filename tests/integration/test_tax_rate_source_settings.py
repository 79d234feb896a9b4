"""TT_TAXJAR_*: bootstrap's rate source asks TaxJar first and the tables when TaxJar
cannot answer, and the result says which one did (against the local TaxJar server)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.test_taxjar_adapter import API_KEY, taxjar_url
from tt_money import USD, Money
from tt_payments import Settings
from tt_payments.settings import SettingsError
from tt_payments.wiring import build_rate_source
from tt_tax import Address, BundledRates, TaxCalculator, TaxSource

__all__ = ["taxjar_url"]  # the local TaxJar server fixture, shared with the adapter's tests

NASHVILLE = Address(street="1 Broadway", city="Nashville", state="TN", zip="37203")
UNKNOWN_TO_TAXJAR = Address(city="Nashville", state="TN", zip="37999")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def test_without_a_key_the_tables_answer() -> None:
    assert isinstance(build_rate_source(Settings()), BundledRates)


def test_with_a_key_taxjar_answers_and_the_tables_cover_for_it(taxjar_url: str) -> None:
    # Given settings that name a TaxJar key and server
    settings = Settings.from_env(
        {
            "TT_TAXJAR_API_KEY": API_KEY,
            "TT_TAXJAR_API_URL": taxjar_url,
            "TT_TAXJAR_TIMEOUT_SECONDS": "30",  # answered locally: only a stuck server nears it
        }
    )
    calculator = TaxCalculator(build_rate_source(settings))
    # When TaxJar knows the ZIP, its rates are used and the result says so
    answered = calculator.calculate(Money(10000, USD), NASHVILLE, None, today())
    assert answered.tax_source is TaxSource.TAXJAR
    assert (answered.state_tax.minor, answered.local_tax.minor) == (700, 275)
    # And when it does not, the bundled tables answer
    covered = calculator.calculate(Money(10000, USD), UNKNOWN_TO_TAXJAR, None, today())
    assert covered.tax_source is TaxSource.TABLES
    assert covered.total.minor == answered.total.minor


def test_an_unreachable_taxjar_falls_back_to_the_tables() -> None:
    settings = Settings(taxjar_api_key=API_KEY, taxjar_api_url="http://127.0.0.1:9")
    result = TaxCalculator(build_rate_source(settings)).calculate(
        Money(10000, USD), NASHVILLE, None, today()
    )
    assert result.tax_source is TaxSource.TABLES


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_taxjar_timeout_must_be_a_positive_number(value: str) -> None:
    with pytest.raises(SettingsError, match="TT_TAXJAR_TIMEOUT_SECONDS"):
        Settings.from_env({"TT_TAXJAR_TIMEOUT_SECONDS": value})


def test_the_taxjar_key_is_not_in_the_settings_repr() -> None:
    assert API_KEY not in repr(Settings.from_env({"TT_TAXJAR_API_KEY": API_KEY}))
