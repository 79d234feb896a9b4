"""Economic nexus: the shipped thresholds, and the one sale that crosses a state's."""

from __future__ import annotations

import datetime
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_tax import (
    STATES_AND_DC,
    Combinator,
    MeasurementPeriod,
    NexusThreshold,
    NexusTotals,
    NexusTracker,
    RateTableError,
    UnknownJurisdictionError,
    read_nexus_thresholds,
    read_rate_tables,
)

HUNDRED_THOUSAND_DOLLARS = 10_000_000
NEXUS_FILE = "nexus_thresholds.csv"


@pytest.fixture(scope="module")
def tracker() -> NexusTracker:
    return NexusTracker.load()


# --- the shipped data ---------------------------------------------------------------------


def test_every_state_and_dc_has_exactly_one_threshold(tracker: NexusTracker) -> None:
    assert [threshold.state for threshold in tracker.thresholds] == sorted(STATES_AND_DC)


def test_most_states_use_100000_dollars_or_200_transactions(tracker: NexusTracker) -> None:
    for state in ("GA", "NJ", "OH", "VA"):
        threshold = tracker.threshold(state)
        assert (threshold.sales_cents, threshold.transactions, threshold.combinator) == (
            HUNDRED_THOUSAND_DOLLARS,
            200,
            Combinator.OR,
        )


@pytest.mark.parametrize(
    ("state", "sales_cents", "transactions", "combinator"),
    [
        ("CA", 50_000_000, None, None),
        ("TX", 50_000_000, None, None),
        ("NY", 50_000_000, 100, Combinator.AND),
        ("CT", HUNDRED_THOUSAND_DOLLARS, 200, Combinator.AND),
        ("AL", 25_000_000, None, None),
        ("TN", HUNDRED_THOUSAND_DOLLARS, None, None),
    ],
)
def test_the_large_and_the_combined_thresholds(
    tracker: NexusTracker,
    state: str,
    sales_cents: int,
    transactions: int | None,
    combinator: Combinator | None,
) -> None:
    threshold = tracker.threshold(state)
    assert (threshold.sales_cents, threshold.transactions, threshold.combinator) == (
        sales_cents,
        transactions,
        combinator,
    )


def test_states_without_sales_tax_match_the_rate_tables(tracker: NexusTracker) -> None:
    no_sales_tax = {t.state for t in tracker.thresholds if not t.sales_tax}
    assert no_sales_tax == {"AK", "DE", "MT", "NH", "OR"}
    on = datetime.date(2025, 6, 1)
    tables = read_rate_tables(resources.files("tt_tax") / "data")
    zero_rate = {
        rate.jurisdiction for rate in tables.states if rate.covers(on) and not rate.rate_bps
    }
    assert no_sales_tax == zero_rate


def test_a_state_without_sales_tax_never_crosses(tracker: NexusTracker) -> None:
    check = tracker.check_sale("OR", 2025, NexusTotals(10**12, 10**6), 10**9)
    assert not check.crossed
    assert tracker.threshold("OR").period is MeasurementPeriod.NONE


def test_an_unknown_state_is_refused(tracker: NexusTracker) -> None:
    with pytest.raises(UnknownJurisdictionError):
        tracker.check_sale("PR", 2025, NexusTotals(), 100)


# --- crossing ------------------------------------------------------------------------------


def test_the_sale_that_reaches_the_sales_threshold_crosses_it(tracker: NexusTracker) -> None:
    # given California sales of $499,999.00 this year
    before = NexusTotals(49_999_900, 3)
    # when a $1.00 sale reaches exactly $500,000.00
    check = tracker.check_sale("CA", 2025, before, 100)
    # then it crosses, and the totals grow by one sale
    assert check.crossed
    assert check.after == NexusTotals(50_000_000, 4)
    # and the next sale does not cross again
    assert not tracker.check_sale("CA", 2025, check.after, 100).crossed


def test_the_200th_transaction_crosses_an_or_threshold(tracker: NexusTracker) -> None:
    assert not tracker.check_sale("GA", 2025, NexusTotals(1_000, 198), 5).crossed
    assert tracker.check_sale("GA", 2025, NexusTotals(1_000, 199), 5).crossed


def test_new_york_needs_both_sales_and_transactions(tracker: NexusTracker) -> None:
    # $600,000 in 50 sales is not enough; the 100th sale crosses
    assert not tracker.check_sale("NY", 2025, NexusTotals(60_000_000, 49), 100).crossed
    assert not tracker.check_sale("NY", 2025, NexusTotals(60_000_000, 98), 100).crossed
    assert tracker.check_sale("NY", 2025, NexusTotals(60_000_000, 99), 100).crossed
    # 500 small sales are not enough either, until the sales reach $500,000
    assert not tracker.check_sale("NY", 2025, NexusTotals(100, 500), 100).crossed
    assert tracker.check_sale("NY", 2025, NexusTotals(49_999_999, 500), 1).crossed


def test_a_negative_sale_is_refused(tracker: NexusTracker) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        tracker.check_sale("CA", 2025, NexusTotals(), -1)


@st.composite
def any_threshold(draw: st.DrawFn) -> NexusThreshold:
    sales_cents = draw(st.integers(1, 50_000) | st.none())
    transactions = draw(st.integers(1, 40) | st.none())
    if sales_cents is None and transactions is None:
        sales_cents = draw(st.integers(1, 50_000))
    both = sales_cents is not None and transactions is not None
    return NexusThreshold(
        state="XX",
        sales_tax=True,
        sales_cents=sales_cents,
        transactions=transactions,
        combinator=draw(st.sampled_from(Combinator)) if both else None,
        period=MeasurementPeriod.PREVIOUS_OR_CURRENT_CALENDAR_YEAR,
    )


@given(any_threshold(), st.lists(st.integers(0, 5_000), max_size=60))
def test_in_any_sequence_of_sales_the_threshold_is_crossed_at_most_once(
    threshold: NexusThreshold, sales: list[int]
) -> None:
    # given any threshold and any sequence of sales, fed one by one
    tracker = NexusTracker([threshold])
    totals = NexusTotals()
    crossings: list[int] = []
    for index, sale in enumerate(sales):
        check = tracker.check_sale("XX", 2025, totals, sale)
        if check.crossed:
            crossings.append(index)
        totals = check.after
    # then exactly one sale crosses if the year's totals meet the threshold, else none
    assert totals == NexusTotals(sum(sales), len(sales))
    assert len(crossings) == (1 if threshold.is_met(totals) else 0)
    # and it is the first sale after which the totals meet it
    if crossings:
        first_met = next(
            i for i in range(len(sales))
            if threshold.is_met(NexusTotals(sum(sales[: i + 1]), i + 1))
        )  # fmt: skip
        assert crossings == [first_met]


# --- a broken file is refused --------------------------------------------------------------


def nexus_copy(tables_copy: Path) -> Path:
    return tables_copy / NEXUS_FILE


def test_the_shipped_file_reads(tables_copy: Path) -> None:
    assert len(read_nexus_thresholds(nexus_copy(tables_copy))) == len(STATES_AND_DC)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CA,true,50000000,,,", "CA,true,,,,", "CA has sales tax but no threshold"),
        ("NY,true,50000000,100,and,", "NY,true,50000000,100,,", "combinator"),
        ("CA,true,50000000,,,", "CA,true,50000000,,or,", "combinator"),
        ("OR,false,,,,none", "OR,false,10000000,,,none", "no sales tax"),
        ("GA,true,10000000,200,or,", "GA,true,10000000,200,xor,", "xor"),
        ("GA,true,10000000,", "GA,true,100000.00,", "whole number"),
        ("GA,true,10000000,", "GA,true,0,", "positive"),
        ("GA,true,10000000,200,or,previous", "GA,true,10000000,200,or,weekly", "weekly"),
        ("GA,true,", "PR,true,", "not a state"),
    ],
)
def test_a_malformed_row_is_refused_naming_its_line(
    tables_copy: Path, old: str, new: str, message: str
) -> None:
    file = nexus_copy(tables_copy)
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))
    with pytest.raises(RateTableError, match=message) as raised:
        read_nexus_thresholds(file)
    assert any(where.startswith(f"{NEXUS_FILE}:") for where, _ in raised.value.details)


def test_a_missing_or_repeated_state_is_refused(tables_copy: Path) -> None:
    file = nexus_copy(tables_copy)
    lines = file.read_text().splitlines()
    wyoming = next(line for line in lines if line.startswith("WY,"))
    file.write_text("\n".join([line for line in lines if line != wyoming] + [lines[-2]]) + "\n")
    with pytest.raises(RateTableError) as raised:
        read_nexus_thresholds(file)
    messages = [message for _, message in raised.value.details]
    assert "no threshold for WY" in messages
    assert any("already has a threshold" in message for message in messages)
