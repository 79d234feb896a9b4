"""The one check that keeps non-integers out of money arithmetic.

``bool`` is a subclass of ``int`` and ``float``, ``Decimal`` and ``str`` convert to ``int``
silently elsewhere in Python; every one of them is refused here, so an amount can only
ever be built from a real integer.
"""

from __future__ import annotations

__all__ = ["require_int"]


def require_int(value: object, name: str) -> int:
    """Return ``value`` if it is a true ``int``; raise ``TypeError`` naming ``name`` if not."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}: {value!r}")
    return value
