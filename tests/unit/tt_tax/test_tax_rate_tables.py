"""The shipped rate tables: complete, exact, and loaded only when consistent."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from tt_money import USD, Money
from tt_tax import (
    STATES_AND_DC,
    Address,
    BundledRates,
    RateTableError,
    TaxCalculator,
    TaxLineKind,
    bps_from_percent,
    read_rate_tables,
)

SHIPPED = resources.files("tt_tax") / "data"
NASHVILLE = Address(city="Nashville", state="TN", zip="37203")


def test_shipped_tables_cover_every_state_and_dc_exactly_once() -> None:
    tables = read_rate_tables(SHIPPED)
    codes = [rate.jurisdiction for rate in tables.states]
    assert sorted(codes) == sorted(STATES_AND_DC)
    assert len(codes) == 51


@pytest.mark.parametrize(
    ("state", "bps", "admissions_taxable"),
    [
        ("TN", Decimal(700), True),
        ("CA", Decimal(725), False),
        ("TX", Decimal(625), True),
        ("NY", Decimal(400), False),
        ("FL", Decimal(600), True),
        ("IN", Decimal(700), False),
        ("MS", Decimal(700), True),
        ("RI", Decimal(700), False),
        ("MN", Decimal("687.5"), True),
        ("NJ", Decimal("662.5"), True),
        ("MO", Decimal("422.5"), True),
        ("LA", Decimal(500), True),
        ("AK", Decimal(0), False),
        ("DE", Decimal(0), False),
        ("MT", Decimal(0), False),
        ("NH", Decimal(0), False),
        ("OR", Decimal(0), False),
    ],
)
def test_shipped_state_rates_on_2025_01_01(
    state: str, bps: Decimal, admissions_taxable: bool
) -> None:
    rates = BundledRates.load().rates_for(
        Address(city="Anywhere", state=state, zip="10001"), datetime.date(2025, 1, 1)
    )
    assert (rates.state.rate_bps, rates.state.admissions_taxable) == (bps, admissions_taxable)
    assert isinstance(rates.state.rate_bps, Decimal)


def test_bundled_rates_are_read_once_per_process() -> None:
    assert BundledRates.load() is BundledRates.load()


def test_tables_ship_inside_the_package() -> None:
    for name in ("state_rates.csv", "local_rates.csv", "special_levies.csv", "places.csv"):
        assert (SHIPPED / name).is_file()


@pytest.mark.parametrize(
    ("text", "bps"),
    [("7", Decimal(700)), ("7.00", Decimal(700)), ("6.875", Decimal("687.5")), ("0", Decimal(0))],
)
def test_percent_strings_become_exact_basis_points(text: str, bps: Decimal) -> None:
    parsed = bps_from_percent(text)
    assert parsed == bps
    assert str(parsed) == str(bps)


@pytest.mark.parametrize("text", ["seven", "", "NaN", "Infinity"])
def test_a_percent_that_is_not_a_finite_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        bps_from_percent(text)


def test_a_corrected_levy_takes_effect_from_the_data_alone(tables_copy: Path) -> None:
    # given the Nashville levy raised to 1.5% in the table files, from March 2025
    levies = tables_copy / "special_levies.csv"
    levies.write_text(
        levies.read_text().replace(
            "TN-NASHVILLE,TN,Entertainment Tax,1.00,2025-01-01,,",
            "TN-NASHVILLE,TN,Entertainment Tax,1.00,2025-01-01,2025-02-28,\n"
            "TN-NASHVILLE,TN,Entertainment Tax,1.50,2025-03-01,,",
        )
    )
    calculator = TaxCalculator(BundledRates.from_directory(tables_copy))
    # then sales from March carry 1.5%, earlier ones 1%
    march = calculator.calculate(Money(10000, USD), NASHVILLE, None, datetime.date(2025, 3, 1))
    february = calculator.calculate(Money(10000, USD), NASHVILLE, None, datetime.date(2025, 2, 28))
    assert (march.special_tax.minor, february.special_tax.minor) == (150, 100)


# --- corrupted tables fail loudly ---------------------------------------------------------


def replace_in(name: str, old: str, new: str) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        path = directory / name
        text = path.read_text()
        assert old in text, f"{old!r} is not in {name}: the corruption would be a no-op"
        path.write_text(text.replace(old, new))

    return corrupt


def append_to(name: str, line: str) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        path = directory / name
        path.write_text(path.read_text() + line + "\n")

    return corrupt


def overwrite(name: str, text: str) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        (directory / name).write_text(text)

    return corrupt


def delete(name: str) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        (directory / name).unlink()

    return corrupt


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "overlapping local rates": (
        replace_in("local_rates.csv", "2025-01-01,2025-01-31", "2025-01-01,2025-02-05"),
        "TN-DAVIDSON: rates from 2025-01-01 and from 2025-02-01 overlap",
    ),
    "overlapping open-ended state rates": (
        append_to("state_rates.csv", "TN,Tennessee Sales Tax,7.50,true,2026-01-01,,"),
        "TN: rates from 2025-01-01 and from 2026-01-01 overlap",
    ),
    "a gap in a state's rates": (
        replace_in(
            "state_rates.csv",
            "TN,Tennessee Sales Tax,7.00,true,2025-01-01,,",
            "TN,Tennessee Sales Tax,7.00,true,2025-01-01,2025-06-30,\n"
            "TN,Tennessee Sales Tax,7.00,true,2025-08-01,,",
        ),
        "TN: no rate between 2025-06-30 and 2025-08-01",
    ),
    "a missing state": (
        replace_in("state_rates.csv", "WY,Wyoming Sales Tax,4.00,true,2025-01-01,,", ""),
        "no rate for WY",
    ),
    "a rate above 20%": (
        replace_in("state_rates.csv", "TX,Texas Sales Tax,6.25", "TX,Texas Sales Tax,25"),
        "rate 25.00% (2500 bp) is outside 0..20.00%",
    ),
    "a negative rate": (
        replace_in("local_rates.csv", "Knoxville Local Tax,2.25", "Knoxville Local Tax,-2.25"),
        "rate -2.25% (-225 bp) is outside 0..20.00%",
    ),
    "a rate that is not a number": (
        replace_in("state_rates.csv", "TX,Texas Sales Tax,6.25", "TX,Texas Sales Tax,six"),
        "'six' is not a decimal number",
    ),
    "a malformed date": (
        replace_in("special_levies.csv", "1.00,2025-01-01", "1.00,01/01/2025"),
        "effective_from must be a YYYY-MM-DD date",
    ),
    "an end before the start": (
        replace_in("local_rates.csv", "2025-01-01,2025-01-31", "2025-01-01,2024-12-31"),
        "effective_to 2024-12-31 is before effective_from 2025-01-01",
    ),
    "an admissions flag that is not a boolean": (
        replace_in(
            "state_rates.csv", "TX,Texas Sales Tax,6.25,true", "TX,Texas Sales Tax,6.25,yes"
        ),
        "admissions_taxable must be true or false",
    ),
    "an unknown state code": (
        append_to("state_rates.csv", "XX,Nowhere Sales Tax,5,true,2025-01-01,,"),
        "state 'XX' is not an upper-case USPS state code",
    ),
    "a row with a missing field": (
        append_to("local_rates.csv", "TN-KNOX,TN,Knoxville Local Tax,2.25,2026-01-01"),
        "has 5 fields, expected 7",
    ),
    "a renamed column": (
        replace_in("state_rates.csv", "state,name,rate_percent", "state,name,rate"),
        "header must be state,name,rate_percent,admissions_taxable",
    ),
    "a place naming an unknown jurisdiction": (
        replace_in("places.csv", "TN-KNOX,City of Knoxville", "TN-NOWHERE,City of Knoxville"),
        "TN-NOWHERE has no local rate or special levy",
    ),
    "a levy no place links to": (
        append_to("special_levies.csv", "TN-KNOXVILLE,TN,Entertainment Tax,1,2025-01-01,,"),
        "TN-KNOXVILLE is not linked from places.csv",
    ),
    "a city claimed by two places": (
        append_to("places.csv", "TN,nashville,,TN-KNOX,duplicate"),
        "city 'nashville' already belongs to places.csv:",
    ),
    "overlapping zip prefixes": (
        append_to("places.csv", "TN,Somewhere,3720,TN-KNOX,overlaps 372"),
        "zip prefix 3720 overlaps 372",
    ),
    "two local jurisdictions for one place": (
        replace_in("places.csv", "TN-KNOX,City", "TN-KNOX|TN-HAMILTON,City"),
        "more than one local jurisdiction: TN-KNOX, TN-HAMILTON",
    ),
    "a place linked to another state's jurisdiction": (
        append_to("places.csv", "KY,Louisville,,TN-HAMILTON,wrong state"),
        "TN-HAMILTON is in TN, not KY",
    ),
    "a missing file": (delete("places.csv"), "places.csv: cannot be read"),
    "an empty file": (overwrite("special_levies.csv", ""), "special_levies.csv: is empty"),
    "a truncated file": (
        overwrite(
            "local_rates.csv",
            "jurisdiction,state,name,rate_percent,effective_from,effective_to,note\n",
        ),
        "local_rates.csv: has no rows",
    ),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupted_table_fails_loudly(tables_copy: Path, corruption: str) -> None:
    # given a copy of the shipped tables with one defect
    corrupt, expected = CORRUPTIONS[corruption]
    corrupt(tables_copy)
    # when it is loaded, then loading fails and the defect is named
    with pytest.raises(RateTableError) as raised:
        BundledRates.from_directory(tables_copy)
    assert raised.value.code == "TAX_TABLE_INVALID"
    assert expected in raised.value.message


def test_the_untouched_copy_loads(tables_copy: Path) -> None:
    # the corruption tests above mean something only if their starting point is valid
    assert BundledRates.from_directory(tables_copy).states == STATES_AND_DC


def test_every_defect_is_reported_at_once_with_its_line(tables_copy: Path) -> None:
    replace_in("state_rates.csv", "TX,Texas Sales Tax,6.25", "TX,Texas Sales Tax,six")(tables_copy)
    replace_in("local_rates.csv", "Knoxville Local Tax,2.25", "Knoxville Local Tax,99")(tables_copy)
    with pytest.raises(RateTableError) as raised:
        read_rate_tables(tables_copy)
    places = [where for where, _ in raised.value.details]
    assert any(where.startswith("state_rates.csv:") for where in places)
    assert any(where.startswith("local_rates.csv:") for where in places)


def test_a_local_jurisdiction_is_absent_on_days_it_has_no_rate(tables_copy: Path) -> None:
    # given Knoxville's local rate ending on 2025-06-30 with nothing after it
    replace_in(
        "local_rates.csv",
        "Knoxville Local Tax,2.25,2025-01-01,,",
        "Knoxville Local Tax,2.25,2025-01-01,2025-06-30,",
    )(tables_copy)
    rates = BundledRates.from_directory(tables_copy)
    knoxville = Address(city="Knoxville", state="TN", zip="37902")
    # then it applies until then, and not after
    assert rates.rates_for(knoxville, datetime.date(2025, 6, 30)).local is not None
    assert rates.rates_for(knoxville, datetime.date(2025, 7, 1)).local is None
    result = TaxCalculator(rates).calculate(
        Money(10000, USD), knoxville, None, datetime.date(2025, 7, 1)
    )
    assert [line.kind for line in result.lines] == [TaxLineKind.STATE]
