"""TaxCalculator: the spec's Nashville example, dated rates, exempt states and refusals."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import attrs
import pytest

from tt_money import EUR, USD, Money
from tt_money.errors import InvalidInputError
from tt_tax import (
    STATES_AND_DC,
    Address,
    ApplicableRates,
    Rate,
    StateRate,
    TaxCalculator,
    TaxLineKind,
    TaxRateUnavailableError,
    TaxResult,
    UnknownJurisdictionError,
    read_rate_tables,
)

HUNDRED_DOLLARS = Money(10000, USD)
MID_JANUARY = datetime.date(2025, 1, 15)
NASHVILLE = Address(street="1 Broadway", city="Nashville", state="TN", zip="37203")
MEMPHIS = Address(city="Memphis", state="TN", zip="38103")
KNOXVILLE = Address(city="Knoxville", state="TN", zip="37902")
FRANKLIN = Address(city="Franklin", state="TN", zip="37064")
LOS_ANGELES = Address(city="Los Angeles", state="CA", zip="90012")


def amounts(result: TaxResult) -> tuple[int, int, int, int]:
    return (
        result.state_tax.minor,
        result.local_tax.minor,
        result.special_tax.minor,
        result.total.minor,
    )


def test_nashville_sale_before_february_2025_matches_the_spec_example(
    calculator: TaxCalculator,
) -> None:
    # given $100 of tickets at a Nashville venue, sold on 2025-01-15
    # when the tax is calculated
    result = calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, NASHVILLE, MID_JANUARY)
    # then it is the spec's 700 + 225 + 100 = 1025, line by line
    assert amounts(result) == (700, 225, 100, 1025)
    assert [(line.kind, line.name, line.jurisdiction, line.rate_bps) for line in result.lines] == [
        (TaxLineKind.STATE, "Tennessee Sales Tax", "TN", Decimal(700)),
        (TaxLineKind.LOCAL, "Nashville Local Tax", "TN-DAVIDSON", Decimal(225)),
        (TaxLineKind.SPECIAL, "Entertainment Tax", "TN-NASHVILLE", Decimal(100)),
    ]
    assert [line.rate_percent for line in result.lines] == [
        Decimal("7.00"),
        Decimal("2.25"),
        Decimal("1.00"),
    ]
    assert result.taxable_amount == HUNDRED_DOLLARS
    assert result.jurisdiction == "TN-DAVIDSON"
    assert result.on_date == MID_JANUARY


def test_nashville_local_rate_is_2_75_percent_from_february_2025(
    calculator: TaxCalculator,
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, None, datetime.date(2025, 2, 1))
    assert amounts(result) == (700, 275, 100, 1075)


@pytest.mark.parametrize(
    ("on_date", "local_bps"),
    [
        (datetime.date(2025, 1, 1), 225),
        (datetime.date(2025, 1, 31), 225),
        (datetime.date(2025, 2, 1), 275),
        (datetime.date(2030, 6, 30), 275),
    ],
)
def test_nashville_local_rate_follows_the_sale_date(
    calculator: TaxCalculator, on_date: datetime.date, local_bps: int
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, None, on_date)
    local = result.line(TaxLineKind.LOCAL)
    assert local is not None
    assert local.rate_bps == local_bps
    assert local.amount == Money(local_bps, USD)


def test_memphis_sale_carries_local_tax_and_the_entertainment_levy(
    calculator: TaxCalculator,
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, MEMPHIS, None, MID_JANUARY)
    assert amounts(result) == (700, 275, 100, 1075)
    assert result.jurisdiction == "TN-SHELBY"


def test_knoxville_sale_has_local_tax_but_no_entertainment_levy(
    calculator: TaxCalculator,
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, KNOXVILLE, None, MID_JANUARY)
    assert amounts(result) == (700, 225, 0, 925)
    assert result.line(TaxLineKind.SPECIAL) is None


def test_tennessee_city_without_local_entry_pays_state_tax_only(
    calculator: TaxCalculator,
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, FRANKLIN, None, MID_JANUARY)
    assert amounts(result) == (700, 0, 0, 700)
    assert [line.kind for line in result.lines] == [TaxLineKind.STATE]
    assert result.jurisdiction == "TN"


@pytest.mark.parametrize(
    "venue",
    [
        Address(city="  nashville ", state="tn", zip="37219"),
        Address(city="NASHVILLE-DAVIDSON", state="TN", zip="37219-1234"),
        Address(city="Old   Hickory", state="TN", zip="37138"),
        Address(city="Some Neighbourhood", state="TN", zip="37209"),
    ],
    ids=["case-and-spaces", "alias-zip-plus-4", "metro-community", "zip-prefix-only"],
)
def test_metro_nashville_venues_are_recognised_by_alias_or_zip(
    calculator: TaxCalculator, venue: Address
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, venue, None, MID_JANUARY)
    assert amounts(result) == (700, 225, 100, 1025)


def test_city_name_decides_before_the_zip(calculator: TaxCalculator) -> None:
    # given a Memphis venue whose ZIP lies in Nashville's 372 area
    venue = Address(city="Memphis", state="TN", zip="37203")
    # then Memphis's jurisdictions apply, not Nashville's
    result = calculator.calculate(HUNDRED_DOLLARS, venue, None, MID_JANUARY)
    assert {line.jurisdiction for line in result.lines} == {"TN", "TN-SHELBY", "TN-MEMPHIS"}


def test_the_venue_not_the_customer_decides_the_rate(calculator: TaxCalculator) -> None:
    # given the same Nashville sale to a Nashville buyer and to a Los Angeles buyer
    local_buyer = calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, NASHVILLE, MID_JANUARY)
    remote_buyer = calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, LOS_ANGELES, MID_JANUARY)
    # then the lines are the same and the customer's address is recorded
    assert remote_buyer.lines == local_buyer.lines
    assert remote_buyer.customer_address == LOS_ANGELES


def test_state_that_exempts_admissions_gives_a_named_zero_state_line(
    calculator: TaxCalculator,
) -> None:
    result = calculator.calculate(HUNDRED_DOLLARS, LOS_ANGELES, None, MID_JANUARY)
    state = result.line(TaxLineKind.STATE)
    assert state is not None
    assert state.name == "California Sales Tax (admissions exempt)"
    assert (state.rate_bps, state.amount) == (Decimal(0), Money.zero(USD))
    assert result.lines == (state,)
    assert result.total == Money.zero(USD)


def test_state_without_sales_tax_keeps_its_own_name(calculator: TaxCalculator) -> None:
    result = calculator.calculate(
        HUNDRED_DOLLARS, Address(city="Portland", state="OR", zip="97205"), None, MID_JANUARY
    )
    state = result.line(TaxLineKind.STATE)
    assert state is not None
    assert state.name == "Oregon (no state sales tax)"
    assert result.total == Money.zero(USD)


def test_fractional_basis_point_rate_rounds_half_up(calculator: TaxCalculator) -> None:
    # given Minnesota's 6.875% on $100: exactly 687.5 cents
    result = calculator.calculate(
        HUNDRED_DOLLARS, Address(city="Saint Paul", state="MN", zip="55102"), None, MID_JANUARY
    )
    state = result.line(TaxLineKind.STATE)
    assert state is not None
    assert state.rate_bps == Decimal("687.5")
    assert state.rate_percent == Decimal("6.875")
    assert state.amount == Money(688, USD)


def test_each_line_is_rounded_on_its_own(calculator: TaxCalculator) -> None:
    # given $10.50 in Nashville: 73.5, 23.625 and 10.5 cents before rounding
    result = calculator.calculate(Money(1050, USD), NASHVILLE, None, MID_JANUARY)
    # then each line rounds half-up alone (74, 24, 11) and the total is their sum
    assert amounts(result) == (74, 24, 11, 109)


def test_zero_amount_gives_zero_lines_with_their_rates(calculator: TaxCalculator) -> None:
    result = calculator.calculate(Money.zero(USD), NASHVILLE, None, MID_JANUARY)
    assert amounts(result) == (0, 0, 0, 0)
    assert [line.rate_bps for line in result.lines] == [700, 225, 100]


SHIPPED_STATE_RATES = {
    rate.jurisdiction: rate for rate in read_rate_tables(resources.files("tt_tax") / "data").states
}


@pytest.mark.parametrize("state", sorted(STATES_AND_DC))
def test_every_state_and_dc_taxes_admissions_as_its_table_row_says(
    calculator: TaxCalculator, state: str
) -> None:
    # given any venue in the state, away from the places with local taxes
    venue = Address(city="Capital City", state=state, zip="10001")
    # when $100 of tickets is taxed
    result = calculator.calculate(HUNDRED_DOLLARS, venue, None, MID_JANUARY)
    # then the only line is the state's: its rate where admissions are taxable, else zero
    row = SHIPPED_STATE_RATES[state]
    expected_bps = row.rate_bps if row.admissions_taxable else Decimal(0)
    (line,) = result.lines
    assert (line.kind, line.jurisdiction, line.rate_bps) == (TaxLineKind.STATE, state, expected_bps)
    assert line.amount.minor == int(expected_bps.to_integral_value(ROUND_HALF_UP))
    assert line.name.endswith("(admissions exempt)") == (
        row.rate_bps > 0 and not row.admissions_taxable
    )


@pytest.mark.parametrize("state", ["PR", "GU", "AE"])
def test_valid_usps_code_without_rates_is_refused_not_zero_rated(
    calculator: TaxCalculator, state: str
) -> None:
    venue = Address(city="San Juan", state=state, zip="00901")
    with pytest.raises(UnknownJurisdictionError) as raised:
        calculator.calculate(HUNDRED_DOLLARS, venue, None, MID_JANUARY)
    assert raised.value.code == "UNSUPPORTED_TAX_JURISDICTION"
    assert raised.value.details == (("state", f"sales tax for {state} is not supported"),)


def test_date_before_the_tables_begin_is_refused(calculator: TaxCalculator) -> None:
    with pytest.raises(TaxRateUnavailableError) as raised:
        calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, None, datetime.date(2024, 12, 31))
    assert raised.value.code == "TAX_RATE_UNAVAILABLE"


def test_negative_amount_is_refused(calculator: TaxCalculator) -> None:
    with pytest.raises(InvalidInputError) as raised:
        calculator.calculate(Money(-1, USD), NASHVILLE, None, MID_JANUARY)
    assert raised.value.code == "VALIDATION_ERROR"
    assert raised.value.details == (("amount", "must not be negative"),)


def test_non_usd_amount_is_refused(calculator: TaxCalculator) -> None:
    with pytest.raises(InvalidInputError) as raised:
        calculator.calculate(Money(10000, EUR), NASHVILLE, None, MID_JANUARY)
    assert raised.value.details == (("amount", "must be in USD"),)


def test_a_datetime_is_refused_so_the_caller_picks_the_venue_day(
    calculator: TaxCalculator,
) -> None:
    sold_at = datetime.datetime(2025, 1, 31, 23, 30, tzinfo=datetime.UTC)
    with pytest.raises(InvalidInputError):
        calculator.calculate(HUNDRED_DOLLARS, NASHVILLE, None, sold_at)


# --- the calculator's rules, on a source other than the bundled tables -------------------

JANUARY_1 = datetime.date(2025, 1, 1)


@attrs.frozen
class FakeRateSource:
    """Answers the same rates for every address: a stand-in for a future TaxJar adapter."""

    rates: ApplicableRates

    def rates_for(self, address: Address, on_date: datetime.date) -> ApplicableRates:
        return self.rates


def state_rate(*, taxable: bool, bps: str = "600") -> StateRate:
    return StateRate(
        jurisdiction="XS",
        name="Example Sales Tax",
        rate_bps=Decimal(bps),
        effective_from=JANUARY_1,
        admissions_taxable=taxable,
    )


LOCAL = Rate(
    jurisdiction="XS-CITY", name="City Tax", rate_bps=Decimal(150), effective_from=JANUARY_1
)
LEVIES = (
    Rate(
        jurisdiction="XS-ARENA", name="Arena Levy", rate_bps=Decimal(200), effective_from=JANUARY_1
    ),
    Rate(jurisdiction="XS-ARTS", name="Arts Levy", rate_bps=Decimal(50), effective_from=JANUARY_1),
)


def test_exempt_state_drops_the_local_line_but_keeps_special_levies() -> None:
    # given a state exempting admissions, with a local rate and two levies configured
    source = FakeRateSource(
        ApplicableRates(state=state_rate(taxable=False), local=LOCAL, specials=LEVIES)
    )
    # when a sale there is taxed
    result = TaxCalculator(source).calculate(HUNDRED_DOLLARS, NASHVILLE, None, MID_JANUARY)
    # then the state line is a named zero, no local line, and both levies apply
    assert [(line.name, line.amount.minor) for line in result.lines] == [
        ("Example Sales Tax (admissions exempt)", 0),
        ("Arena Levy", 200),
        ("Arts Levy", 50),
    ]
    assert result.special_tax == Money(250, USD)
    assert result.jurisdiction == "XS"


def test_taxable_state_with_local_rate_and_levies_charges_them_all() -> None:
    source = FakeRateSource(
        ApplicableRates(state=state_rate(taxable=True), local=LOCAL, specials=LEVIES)
    )
    result = TaxCalculator(source).calculate(HUNDRED_DOLLARS, NASHVILLE, None, MID_JANUARY)
    assert amounts(result) == (600, 150, 250, 1000)
    assert result.jurisdiction == "XS-CITY"
    assert result.lines_of(TaxLineKind.SPECIAL) == result.lines[2:]
