"""allocate(): proportional splits whose parts always sum to the total."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tt_money import EUR, USD, InvalidInputError, Money, allocate

totals = st.integers(min_value=-(10**12), max_value=10**12)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20)


@given(total=totals, weights=weight_lists)
def test_allocate_parts_always_sum_to_the_total(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total


@given(total=totals, weights=weight_lists)
def test_each_part_is_within_one_unit_of_its_exact_share(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    parts = allocate(total, weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - Fraction(total * weight, sum(weights))) < 1


@given(total=totals, weights=weight_lists)
def test_a_zero_weight_always_gets_nothing(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    parts = allocate(total, weights)
    assert all(part == 0 for part, weight in zip(parts, weights, strict=True) if weight == 0)


@given(total=totals, weights=weight_lists)
def test_allocation_is_deterministic(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    assert allocate(total, weights) == allocate(total, list(weights))


@given(total=totals, weights=weight_lists)
def test_a_negative_total_splits_like_its_absolute_value_negated(
    total: int, weights: list[int]
) -> None:
    assume(sum(weights) > 0)
    assert allocate(-total, weights) == [-part for part in allocate(total, weights)]


@given(total=st.integers(min_value=0, max_value=10**9), weights=weight_lists)
def test_leftover_units_go_to_the_largest_remainders_first(total: int, weights: list[int]) -> None:
    assume(sum(weights) > 0)
    # given each part's floor and remainder of its exact share
    parts = allocate(total, weights)
    shares = [divmod(total * weight, sum(weights)) for weight in weights]
    extras = [part - floor for part, (floor, _) in zip(parts, shares, strict=True)]
    # then a part got an extra unit only if no part with a larger remainder went without
    assert set(extras) <= {0, 1}
    for i, (_, remainder_i) in enumerate(shares):
        for j, (_, remainder_j) in enumerate(shares):
            if extras[i] == 1 and extras[j] == 0:
                assert remainder_i >= remainder_j
                if remainder_i == remainder_j:
                    assert i < j  # ties go to the lowest index


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (2, [1, 1, 1], [1, 1, 0]),
        (7, [1, 1, 1, 1], [2, 2, 2, 1]),
        (1, [1, 2], [0, 1]),
        (10, [3, 3, 4], [3, 3, 4]),
        (15000, [1500, 750, 12750], [1500, 750, 12750]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (0, [5, 5], [0, 0]),
        (5, [0, 1, 0], [0, 5, 0]),
    ],
)
def test_allocate_splits_known_examples(
    total: int, weights: list[int], expected: list[int]
) -> None:
    assert allocate(total, weights) == expected


def test_allocating_money_gives_money_in_the_same_currency() -> None:
    # given a $100.00 split three ways
    parts = allocate(Money(10000, EUR), [1, 1, 1])
    # then the parts are euros and add back up to the total
    assert parts == [Money(3334, EUR), Money(3333, EUR), Money(3333, EUR)]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [-2]])
def test_weights_must_be_non_negative_with_a_positive_sum(weights: list[int]) -> None:
    with pytest.raises(InvalidInputError):
        allocate(100, weights)


@pytest.mark.parametrize(
    ("total", "weights"),
    [(100.0, [1, 1]), (100, [0.5, 0.5]), (True, [1]), (Money(100, USD), [1.0])],
)
def test_allocate_refuses_floats(total: object, weights: list[object]) -> None:
    loose: Any = allocate
    with pytest.raises(TypeError):
        loose(total, weights)
