"""Payout rules, the instant fee, arrival estimates, and the entries a payout posts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tt_ledger import (
    PAYOUT_CANCELED_KIND,
    PAYOUT_FAILED_KIND,
    PAYOUT_PAID_KIND,
    PAYOUT_REQUESTED_KIND,
    AccountKind,
    DailyPayoutLimitError,
    InsufficientFundsError,
    JournalEntry,
    LedgerError,
    PayoutAmounts,
    PayoutBelowMinimumError,
    PayoutMethod,
    PayoutRules,
    add_business_days,
    check_payout,
    estimate_arrival,
    payout_amounts,
    payout_paid_entry,
    payout_requested_entry,
    payout_returned_entry,
)
from tt_money import EUR, USD, Money, Rounding, percent_of
from tt_money.errors import ConflictError, CurrencyMismatchError, InvalidInputError

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
VENUE = uuid.UUID("6f1c8a52-3f7e-4d2a-9b1e-2c4d5e6f7a8b")
RULES = PayoutRules()
STANDARD, INSTANT = PayoutMethod.STANDARD, PayoutMethod.INSTANT


def usd(minor: int) -> Money:
    return Money(minor, USD)


def check(amount: int, *, payable: int = 10**9, today: int = 0, instant: bool = False) -> None:
    check_payout(usd(amount), usd(payable), usd(today), PayoutMethod.from_instant(instant), RULES)


def moved(*entries: JournalEntry) -> Counter[AccountKind]:
    totals: Counter[AccountKind] = Counter()
    for entry in entries:
        for posting in entry.postings:
            totals[posting.account.kind] += posting.amount.minor
    return totals


def test_the_defaults_are_the_specs_100_dollar_minimum_50k_daily_limit_and_1_percent() -> None:
    assert (RULES.minimum, RULES.daily_limit, RULES.instant_fee_bps) == (
        usd(10_000),
        usd(5_000_000),
        100,
    )


def test_a_payout_within_every_limit_passes() -> None:
    check(10_000, payable=10_000, today=4_990_000)


@pytest.mark.parametrize("instant", [False, True])
def test_a_payout_under_100_dollars_is_below_the_minimum(instant: bool) -> None:
    with pytest.raises(PayoutBelowMinimumError) as raised:
        check(9_999, instant=instant)
    assert raised.value.code == "PAYOUT_BELOW_MINIMUM"
    assert isinstance(raised.value, InvalidInputError)


def test_a_payout_over_the_payable_balance_is_insufficient_funds() -> None:
    with pytest.raises(InsufficientFundsError) as raised:
        check(45_001, payable=45_000)
    assert raised.value.code == "INSUFFICIENT_FUNDS"
    assert isinstance(raised.value, InvalidInputError)
    assert raised.value.details == (("amount", "at most 45000"),)


def test_a_negative_payable_balance_reports_zero_left() -> None:
    with pytest.raises(InsufficientFundsError) as raised:
        check(10_000, payable=-500)
    assert raised.value.details == (("amount", "at most 0"),)


def test_a_payout_taking_the_day_past_50k_hits_the_daily_limit() -> None:
    with pytest.raises(DailyPayoutLimitError) as raised:
        check(10_001, today=4_990_000)
    assert raised.value.code == "DAILY_PAYOUT_LIMIT"
    assert isinstance(raised.value, ConflictError)
    assert raised.value.details == (("amount", "at most 10000 today"),)


def test_the_minimum_is_checked_before_funds_and_funds_before_the_limit() -> None:
    with pytest.raises(PayoutBelowMinimumError):
        check(5_000, payable=0, today=5_000_000)
    with pytest.raises(InsufficientFundsError):
        check(20_000, payable=10_000, today=5_000_000)


@pytest.mark.parametrize("amount", [0, -10_000])
def test_a_payout_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check(amount)
    assert raised.value.code == "VALIDATION_ERROR"


def test_a_payout_in_another_currency_than_the_rules_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        check_payout(Money(10_000, EUR), usd(10**6), usd(0), STANDARD, RULES)


def test_rules_keep_minimum_and_limit_in_one_currency_and_in_order() -> None:
    with pytest.raises(LedgerError):
        PayoutRules(minimum=Money(10_000, EUR))
    with pytest.raises(LedgerError):
        PayoutRules(minimum=usd(10_000), daily_limit=usd(9_999))


@given(
    requests=st.lists(st.integers(min_value=1, max_value=2_000_000), max_size=50),
    payable=st.integers(min_value=0, max_value=6_000_000),
)
def test_requests_checked_one_after_another_never_take_more_than_payable_or_the_limit(
    requests: list[int], payable: int
) -> None:
    # given requests serialised by the lock on the venue's available account
    left, today = payable, 0
    for amount in requests:
        try:
            check(amount, payable=left, today=today)
        except (InvalidInputError, ConflictError):
            continue
        left -= amount
        today += amount
    # then what was paid out fits in both
    assert left >= 0
    assert today <= min(payable, 5_000_000)


@given(amount=st.integers(min_value=1, max_value=10**10), instant=st.booleans())
def test_fee_and_net_add_up_to_the_amount(amount: int, instant: bool) -> None:
    method = PayoutMethod.from_instant(instant)
    amounts = payout_amounts(usd(amount), method, RULES)
    expected_fee = percent_of(usd(amount), 100, Rounding.HALF_UP) if instant else usd(0)
    assert amounts.fee == expected_fee
    assert amounts.fee + amounts.net == usd(amount)


def test_an_instant_payout_of_450_dollars_costs_4_50() -> None:
    amounts = payout_amounts(usd(45_000), INSTANT, RULES)
    assert (amounts.fee, amounts.net) == (usd(450), usd(44_550))


def test_a_fee_that_would_take_the_whole_payout_is_refused() -> None:
    with pytest.raises(LedgerError):
        PayoutAmounts(amount=usd(100), fee=usd(100), method=INSTANT)
    with pytest.raises(InvalidInputError):
        check_payout(usd(10_000), usd(10_000), usd(0), INSTANT, PayoutRules(instant_fee_bps=10_000))


# 2026-11-27 is a Friday.
FRIDAY = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)
THURSDAY, MONDAY, TUESDAY = dt.date(2026, 11, 26), dt.date(2026, 11, 30), dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("requested", "earliest", "latest"),
    [
        (FRIDAY, MONDAY, TUESDAY),
        (FRIDAY - dt.timedelta(days=2), THURSDAY, FRIDAY.date()),  # Wednesday
        (FRIDAY + dt.timedelta(days=1), MONDAY, TUESDAY),  # Saturday
        (FRIDAY + dt.timedelta(days=2), MONDAY, TUESDAY),  # Sunday
    ],
)
def test_a_standard_payout_arrives_in_one_to_two_business_days(
    requested: dt.datetime, earliest: dt.date, latest: dt.date
) -> None:
    estimate = estimate_arrival(STANDARD, requested)
    assert (estimate.earliest.date(), estimate.latest.date()) == (earliest, latest)
    assert estimate.earliest.time() == requested.time()
    assert estimate.label == "1-2 business days"


def test_an_instant_payout_arrives_in_30_minutes_even_on_a_sunday() -> None:
    sunday = FRIDAY + dt.timedelta(days=2)
    estimate = estimate_arrival(INSTANT, sunday)
    assert estimate.earliest == estimate.latest == sunday + dt.timedelta(minutes=30)
    assert estimate.label == "30 minutes"


@given(
    start=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    days=st.integers(min_value=0, max_value=40),
)
def test_adding_business_days_counts_only_weekdays(start: dt.datetime, days: int) -> None:
    end = add_business_days(start, days)
    between = [start.date() + dt.timedelta(days=n) for n in range(1, (end - start).days + 1)]
    assert sum(day.weekday() < 5 for day in between) == days
    assert days == 0 or end.weekday() < 5


def entries(amounts: PayoutAmounts) -> tuple[JournalEntry, JournalEntry, uuid.UUID]:
    payout_id = uuid.uuid4()
    requested = payout_requested_entry(
        tenant_id=TENANT, payout_id=payout_id, venue_id=VENUE, amounts=amounts
    )
    paid = payout_paid_entry(tenant_id=TENANT, payout_id=payout_id, venue_id=VENUE, amounts=amounts)
    return requested, paid, payout_id


def test_an_instant_request_takes_the_amount_from_available_and_the_fee_to_revenue() -> None:
    requested, paid, payout_id = entries(payout_amounts(usd(45_000), INSTANT, RULES))

    assert requested.kind == PAYOUT_REQUESTED_KIND
    assert requested.reference_id == payout_id
    assert moved(requested) == {
        AccountKind.VENUE_AVAILABLE: 45_000,
        AccountKind.VENUE_PAYOUT_IN_TRANSIT: -44_550,
        AccountKind.PLATFORM_REVENUE: -450,
    }
    assert paid.kind == PAYOUT_PAID_KIND
    assert moved(paid) == {
        AccountKind.VENUE_PAYOUT_IN_TRANSIT: 44_550,
        AccountKind.PROCESSOR_CLEARING: -44_550,
    }


def test_a_standard_request_posts_no_fee_line() -> None:
    requested, _, _ = entries(payout_amounts(usd(45_000), STANDARD, RULES))
    assert moved(requested) == {
        AccountKind.VENUE_AVAILABLE: 45_000,
        AccountKind.VENUE_PAYOUT_IN_TRANSIT: -45_000,
    }


def test_payout_entries_have_the_same_id_on_every_retry() -> None:
    amounts = payout_amounts(usd(45_000), INSTANT, RULES)
    payout_id = uuid.uuid4()
    first, second = (
        payout_requested_entry(
            tenant_id=TENANT, payout_id=payout_id, venue_id=VENUE, amounts=amounts
        )
        for _ in range(2)
    )
    assert first == second


@given(
    amount=st.integers(min_value=1, max_value=10**10),
    instant=st.booleans(),
    kind=st.sampled_from([PAYOUT_FAILED_KIND, PAYOUT_CANCELED_KIND]),
)
def test_a_failed_or_canceled_payout_returns_everything_the_fee_included(
    amount: int, instant: bool, kind: str
) -> None:
    amounts = payout_amounts(usd(amount), PayoutMethod.from_instant(instant), RULES)
    requested, _, payout_id = entries(amounts)
    returned = payout_returned_entry(
        tenant_id=TENANT, payout_id=payout_id, venue_id=VENUE, amounts=amounts, kind=kind
    )
    assert returned.kind == kind
    assert +moved(requested, returned) == Counter()
    assert moved(returned)[AccountKind.VENUE_AVAILABLE] == -amount


@given(amount=st.integers(min_value=1, max_value=10**10), instant=st.booleans())
def test_a_payout_failing_after_it_was_paid_comes_back_through_clearing(
    amount: int, instant: bool
) -> None:
    amounts = payout_amounts(usd(amount), PayoutMethod.from_instant(instant), RULES)
    requested, paid, payout_id = entries(amounts)
    returned = payout_returned_entry(
        tenant_id=TENANT,
        payout_id=payout_id,
        venue_id=VENUE,
        amounts=amounts,
        kind=PAYOUT_FAILED_KIND,
        after_paid=True,
    )
    totals = moved(requested, paid, returned)
    assert {kind: minor for kind, minor in totals.items() if minor} == {}


def test_only_failed_and_canceled_return_a_payout_and_a_paid_one_cannot_be_canceled() -> None:
    amounts = payout_amounts(usd(45_000), STANDARD, RULES)
    payout_id = uuid.uuid4()
    with pytest.raises(LedgerError):
        payout_returned_entry(
            tenant_id=TENANT,
            payout_id=payout_id,
            venue_id=VENUE,
            amounts=amounts,
            kind=PAYOUT_PAID_KIND,
        )
    with pytest.raises(LedgerError):
        payout_returned_entry(
            tenant_id=TENANT,
            payout_id=payout_id,
            venue_id=VENUE,
            amounts=amounts,
            kind=PAYOUT_CANCELED_KIND,
            after_paid=True,
        )
