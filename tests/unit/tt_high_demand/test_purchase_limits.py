"""Purchase limits: each trips at exactly its number, the first broken one is reported."""

from __future__ import annotations

import pytest

from tt_high_demand import (
    PurchaseCounts,
    PurchaseLimitExceededError,
    PurchaseLimits,
    check_purchase,
)
from tt_money.errors import InvalidInputError

LIMITS = (
    PurchaseLimits()
)  # the spec's defaults: 4 per user, 4 per method, 8 per address, 4 per order


def held(*, user: int = 0, method: int = 0, address: int = 0) -> PurchaseCounts:
    return PurchaseCounts(by_user=user, by_payment_method=method, by_address=address)


def test_an_order_of_exactly_the_per_order_limit_passes_and_one_more_is_refused() -> None:
    check_purchase(LIMITS, requested_tickets=4, held=held())
    with pytest.raises(PurchaseLimitExceededError) as refused:
        check_purchase(LIMITS, requested_tickets=5, held=held())
    assert (refused.value.limit_name, refused.value.limit, refused.value.requested) == (
        "per_order",
        4,
        5,
    )
    assert refused.value.code == "PURCHASE_LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("per_user", {"user": 3}),
        ("per_payment_method", {"method": 3}),
        ("per_address", {"address": 7}),
    ],
)
def test_each_holding_limit_trips_at_exactly_its_number(name: str, counts: dict[str, int]) -> None:
    check_purchase(LIMITS, requested_tickets=1, held=held(**counts))
    with pytest.raises(PurchaseLimitExceededError) as refused:
        check_purchase(LIMITS, requested_tickets=2, held=held(**counts))
    assert refused.value.limit_name == name
    assert refused.value.current == next(iter(counts.values()))


def test_the_message_names_the_limit_and_the_numbers() -> None:
    with pytest.raises(PurchaseLimitExceededError) as refused:
        check_purchase(LIMITS, requested_tickets=2, held=held(user=3))
    assert refused.value.message == (
        "per_user limit 4 reached: 3 tickets bought or in flight, 2 requested"
    )
    assert refused.value.details == (("per_user", refused.value.message),)


def test_the_first_broken_limit_in_spec_order_is_the_one_reported() -> None:
    everything = held(user=4, method=4, address=8)
    for limits, expected in (
        (LIMITS, "per_order"),
        (PurchaseLimits(per_order=10), "per_user"),
        (PurchaseLimits(per_order=10, per_user=10), "per_payment_method"),
        (PurchaseLimits(per_order=10, per_user=10, per_payment_method=10), "per_address"),
    ):
        with pytest.raises(PurchaseLimitExceededError) as refused:
            check_purchase(limits, requested_tickets=5, held=everything)
        assert refused.value.limit_name == expected


def test_a_purchase_of_no_tickets_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        check_purchase(LIMITS, requested_tickets=0, held=held())


def test_negative_counts_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        held(user=-1)
