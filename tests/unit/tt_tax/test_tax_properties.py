"""Properties of every calculation: lines add up, never go negative, grow with the amount,
and each sits within half a cent of its exact share."""

from __future__ import annotations

import datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tt_money import USD, Money
from tt_tax import STATES_AND_DC, Address, TaxCalculator, TaxLineKind

CALCULATOR = TaxCalculator()

VENUES = [
    Address(city="Nashville", state="TN", zip="37203"),
    Address(city="Memphis", state="TN", zip="38103"),
    Address(city="Knoxville", state="TN", zip="37902"),
    Address(city="Chattanooga", state="TN", zip="37402"),
    Address(city="Franklin", state="TN", zip="37064"),
    *(Address(city="Anywhere", state=state, zip="10001") for state in sorted(STATES_AND_DC)),
]

venues = st.sampled_from(VENUES)
customers = st.none() | st.sampled_from(VENUES)
sale_dates = st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2035, 12, 31))
amounts = st.integers(min_value=0, max_value=10**12).map(lambda minor: Money(minor, USD))


@given(amount=amounts, venue=venues, customer=customers, on_date=sale_dates)
def test_total_is_the_sum_of_the_lines_and_of_the_kinds(
    amount: Money, venue: Address, customer: Address | None, on_date: datetime.date
) -> None:
    result = CALCULATOR.calculate(amount, venue, customer, on_date)
    assert result.total.minor == sum(line.amount.minor for line in result.lines)
    assert result.total == result.state_tax + result.local_tax + result.special_tax


@given(amount=amounts, venue=venues, on_date=sale_dates)
def test_every_line_is_non_negative(amount: Money, venue: Address, on_date: datetime.date) -> None:
    result = CALCULATOR.calculate(amount, venue, None, on_date)
    assert all(line.amount.minor >= 0 for line in result.lines)
    assert result.line(TaxLineKind.STATE) is not None


@given(amount=amounts, venue=venues, on_date=sale_dates)
def test_each_line_is_within_half_a_cent_of_its_exact_share(
    amount: Money, venue: Address, on_date: datetime.date
) -> None:
    result = CALCULATOR.calculate(amount, venue, None, on_date)
    for line in result.lines:
        exact = Fraction(amount.minor) * Fraction(line.rate_bps) / 10_000
        assert abs(line.amount.minor - exact) <= Fraction(1, 2)


@given(smaller=amounts, extra=amounts, venue=venues, on_date=sale_dates)
def test_tax_never_falls_when_the_amount_rises(
    smaller: Money, extra: Money, venue: Address, on_date: datetime.date
) -> None:
    low = CALCULATOR.calculate(smaller, venue, None, on_date)
    high = CALCULATOR.calculate(smaller + extra, venue, None, on_date)
    # same place and day: the same taxes apply, each at least as large
    assert [line.name for line in low.lines] == [line.name for line in high.lines]
    for low_line, high_line in zip(low.lines, high.lines, strict=True):
        assert low_line.amount <= high_line.amount
    assert low.total <= high.total


@given(amount=amounts, venue=venues, customer=customers, on_date=sale_dates)
def test_the_customers_address_never_changes_the_tax(
    amount: Money, venue: Address, customer: Address | None, on_date: datetime.date
) -> None:
    with_customer = CALCULATOR.calculate(amount, venue, customer, on_date)
    without = CALCULATOR.calculate(amount, venue, None, on_date)
    assert with_customer.lines == without.lines
