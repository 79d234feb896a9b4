"""Scores, signals and facts: the common currency between detectors and the decision engine.

A detector turns evidence into named indicators with weights; ``combine_weights`` turns
the indicators that fired into one score. Signals are what ``fraud_checks.signals``
stores and an analyst reads; facts are the named values the decision rules compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import attrs

from tt_fraud.errors import FraudInputError

__all__ = [
    "SCORE_QUANTUM",
    "Signal",
    "combine_weights",
    "quantize_score",
    "signals_of",
    "validate_weights",
]

SCORE_QUANTUM: Final = Decimal("0.01")
"""Scores are stored in DECIMAL(3,2) columns, so they leave the detectors at this precision."""

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)


def quantize_score(value: Decimal) -> Decimal:
    """Clamp ``value`` to [0, 1] and round it half-up to 0.01 (the DB column's precision)."""
    clamped = min(max(value, _ZERO), _ONE)
    return clamped.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def combine_weights(weights: Iterable[Decimal]) -> Decimal:
    """Combine independent pieces of evidence as a noisy-OR: ``1 - prod(1 - w)``, quantized.

    Why not a sum: a sum lets several weak, correlated hints (no plugins, a fast visit)
    add up past the threshold and makes the score exceed 1. Under noisy-OR each indicator
    is the chance it alone is right; two weak ones stay weak (0.15 and 0.35 give 0.45),
    strong ones dominate, and the result never leaves [0, 1].
    """
    remaining = _ONE
    for weight in weights:
        remaining *= _ONE - weight
    return quantize_score(_ONE - remaining)


def validate_weights(weights: Mapping[str, Decimal], known: Iterable[str]) -> dict[str, Decimal]:
    """Check detector weights (data, overridable) name known indicators and lie in [0, 1]."""
    names = set(known)
    checked: dict[str, Decimal] = {}
    for name, weight in weights.items():
        if name not in names:
            raise FraudInputError(
                f"unknown indicator {name!r}", details=[(f"weights.{name}", "unknown indicator")]
            )
        if not isinstance(weight, Decimal) or not weight.is_finite() or not 0 <= weight <= 1:
            raise FraudInputError(
                f"weight of {name!r} must be a Decimal in [0, 1], not {weight!r}",
                details=[(f"weights.{name}", "must be a Decimal in [0, 1]")],
            )
        checked[name] = weight
    return checked


@attrs.frozen
class Signal:
    """One named piece of evidence, its weight, and a sentence for the analyst."""

    name: str
    weight: Decimal
    detail: str

    def to_json(self) -> dict[str, str]:
        """The ``fraud_checks.signals`` JSONB element (the weight as a decimal string)."""
        return {"name": self.name, "weight": str(self.weight), "detail": self.detail}


def signals_of(
    prefix: str, fired: Mapping[str, str], weights: Mapping[str, Decimal]
) -> tuple[Signal, ...]:
    """Signals named ``<prefix>.<indicator>`` for the indicators that fired, in their order."""
    return tuple(
        Signal(f"{prefix}.{name}", weights[name], detail) for name, detail in fired.items()
    )
