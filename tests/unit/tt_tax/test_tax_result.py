"""TaxResult: totals are always derived from the lines."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tt_money import EUR, USD, Money
from tt_tax import TaxLine, TaxLineKind, TaxResult

ON = datetime.date(2025, 3, 1)


def line(kind: TaxLineKind, minor: int, bps: str = "100", name: str = "Tax") -> TaxLine:
    return TaxLine(
        kind=kind, name=name, jurisdiction="TN", rate_bps=Decimal(bps), amount=Money(minor, USD)
    )


def result(*lines: TaxLine) -> TaxResult:
    return TaxResult(taxable_amount=Money(10000, USD), lines=lines, on_date=ON, jurisdiction="TN")


def test_sums_by_kind_and_total_come_from_the_lines() -> None:
    taxed = result(
        line(TaxLineKind.STATE, 700),
        line(TaxLineKind.LOCAL, 225),
        line(TaxLineKind.SPECIAL, 100, name="Entertainment Tax"),
        line(TaxLineKind.SPECIAL, 50, name="Arts Levy"),
    )
    assert (taxed.state_tax, taxed.local_tax, taxed.special_tax, taxed.total) == (
        Money(700, USD),
        Money(225, USD),
        Money(150, USD),
        Money(1075, USD),
    )
    special = taxed.line(TaxLineKind.SPECIAL)
    assert special is not None
    assert special.name == "Entertainment Tax"
    assert len(taxed.lines_of(TaxLineKind.SPECIAL)) == 2


def test_missing_kinds_sum_to_zero_and_have_no_line() -> None:
    taxed = result(line(TaxLineKind.STATE, 700))
    assert taxed.local_tax == Money.zero(USD)
    assert taxed.special_tax == Money.zero(USD)
    assert taxed.line(TaxLineKind.LOCAL) is None


@pytest.mark.parametrize(
    ("bps", "percent"),
    [("700", "7.00"), ("225", "2.25"), ("687.5", "6.875"), ("662.5", "6.625"), ("0", "0")],
)
def test_rate_percent_is_exact(bps: str, percent: str) -> None:
    assert line(TaxLineKind.STATE, 0, bps=bps).rate_percent == Decimal(percent)


@pytest.mark.parametrize("kind", [TaxLineKind.STATE, TaxLineKind.LOCAL])
def test_result_holds_at_most_one_state_and_one_local_line(kind: TaxLineKind) -> None:
    with pytest.raises(ValueError, match="at most one"):
        result(line(kind, 1), line(kind, 2))


def test_lines_must_be_in_the_taxable_amounts_currency() -> None:
    euro_line = TaxLine(
        kind=TaxLineKind.STATE,
        name="Tax",
        jurisdiction="TN",
        rate_bps=Decimal(700),
        amount=Money(700, EUR),
    )
    with pytest.raises(ValueError, match="EUR"):
        result(euro_line)


@pytest.mark.parametrize("bps", ["-1", "2000.01", "NaN", "Infinity"])
def test_a_line_refuses_an_impossible_rate(bps: str) -> None:
    with pytest.raises((ValueError, TypeError)):
        line(TaxLineKind.STATE, 0, bps=bps)
