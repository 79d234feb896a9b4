"""Named rounding modes and exact integer division under each one.

Every rounding of money in TicketToken names its mode; this module is where the modes
are defined and the only place that turns a fraction into a whole number of minor units.
"""

from __future__ import annotations

import enum

from tt_money.errors import InvalidInputError
from tt_money.integers import require_int

__all__ = ["Rounding", "divide"]


class Rounding(enum.Enum):
    """How to turn an exact fraction into an integer."""

    HALF_UP = "half_up"
    """To the nearest integer; an exact half goes away from zero (2.5 -> 3, -2.5 -> -3)."""
    HALF_EVEN = "half_even"
    """To the nearest integer; an exact half goes to the even neighbour (2.5 -> 2, 3.5 -> 4)."""
    DOWN = "down"
    """Toward zero (2.7 -> 2, -2.7 -> -2)."""
    UP = "up"
    """Away from zero (2.1 -> 3, -2.1 -> -3)."""
    FLOOR = "floor"
    """Toward negative infinity (2.7 -> 2, -2.1 -> -3)."""
    CEILING = "ceiling"
    """Toward positive infinity (2.1 -> 3, -2.7 -> -2)."""


def divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """Return ``numerator / denominator`` rounded to an integer by ``rounding``.

    Exact integer arithmetic: no float is involved at any step. ``denominator`` must be
    positive (``InvalidInputError`` otherwise); a non-int argument raises ``TypeError``.
    """
    numerator = require_int(numerator, "numerator")
    denominator = require_int(denominator, "denominator")
    if not isinstance(rounding, Rounding):
        raise TypeError(f"rounding must be a Rounding, not {type(rounding).__name__}")
    if denominator <= 0:
        raise InvalidInputError(f"denominator must be positive, not {denominator}")

    floor, remainder = divmod(numerator, denominator)  # 0 <= remainder < denominator
    if remainder == 0:
        return floor
    # The exact quotient lies strictly between floor and floor + 1; each mode picks a side.
    # For a positive quotient "away from zero" is floor + 1, for a negative one it is floor.
    positive = numerator > 0
    match rounding:
        case Rounding.FLOOR:
            take_upper = False
        case Rounding.CEILING:
            take_upper = True
        case Rounding.DOWN:
            take_upper = not positive
        case Rounding.UP:
            take_upper = positive
        case Rounding.HALF_UP | Rounding.HALF_EVEN:
            twice = 2 * remainder
            if twice != denominator:
                take_upper = twice > denominator
            elif rounding is Rounding.HALF_UP:
                take_upper = positive
            else:
                take_upper = floor % 2 == 1
    return floor + 1 if take_upper else floor
