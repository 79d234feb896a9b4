"""Splitting an amount into parts that always add back up to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from tt_money.errors import InvalidInputError
from tt_money.integers import require_int
from tt_money.money import Money

__all__ = ["allocate"]


def _split_units(total: int, weights: Sequence[int]) -> list[int]:
    checked = [require_int(weight, "weight") for weight in weights]
    if any(weight < 0 for weight in checked):
        raise InvalidInputError(
            f"allocation weights must not be negative: {checked}",
            details=[("weights", "must not be negative")],
        )
    whole = sum(checked)
    if whole <= 0:
        raise InvalidInputError(
            f"allocation weights must have a positive sum: {checked}",
            details=[("weights", "must have a positive sum")],
        )

    units = abs(total)
    shares = [divmod(units * weight, whole) for weight in checked]
    parts = [floor for floor, _ in shares]
    leftover = units - sum(parts)
    # The floors leave fewer units over than there are non-zero remainders, so a part with
    # zero weight (zero remainder) never receives one.
    by_remainder = sorted(range(len(shares)), key=lambda index: (-shares[index][1], index))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts if total >= 0 else [-part for part in parts]


@overload
def allocate(total: int, weights: Sequence[int]) -> list[int]: ...
@overload
def allocate(total: Money, weights: Sequence[int]) -> list[Money]: ...
def allocate(total: int | Money, weights: Sequence[int]) -> list[int] | list[Money]:
    """Split ``total`` in proportion to ``weights`` so the parts sum to ``total`` exactly.

    Largest-remainder (Hamilton) method: each part is first rounded toward zero to a whole
    minor unit; the units left over go, one each, to the parts with the largest remainders,
    ties to the lowest index. So every part is within one minor unit of its exact share, a
    zero weight gets nothing, and the same input always gives the same split. A negative
    ``total`` is split by its absolute value and the parts negated.

    ``total`` is an int of minor units or a ``Money`` (the parts have the same type and
    currency). ``weights`` are non-negative ints with a positive sum (``InvalidInputError``
    otherwise; a non-int weight raises ``TypeError``). Pure: no side effects.
    """
    if isinstance(total, Money):
        return [Money(part, total.currency) for part in _split_units(total.minor, weights)]
    return _split_units(require_int(total, "total"), weights)
