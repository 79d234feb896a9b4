"""Purchase limits of a high-demand event: per order, per user, per payment method, per address.

Pure: the caller counts what each buyer already holds (completed and in-flight purchases,
under a lock in PostgreSQL) and asks whether ``requested_tickets`` more still fit.
"""

from __future__ import annotations

import attrs

from tt_high_demand.config import PurchaseLimits
from tt_high_demand.errors import PurchaseLimitExceededError
from tt_money.errors import InvalidInputError


def _not_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise InvalidInputError(f"{attribute.name} cannot be negative, got {value}")


@attrs.frozen(kw_only=True)
class PurchaseCounts:
    """Tickets of the event already bought or in flight, by the same user, with the same
    payment method, and to the same address."""

    by_user: int = attrs.field(validator=_not_negative)
    by_payment_method: int = attrs.field(validator=_not_negative)
    by_address: int = attrs.field(validator=_not_negative)


def check_purchase(limits: PurchaseLimits, *, requested_tickets: int, held: PurchaseCounts) -> None:
    """Raise ``PurchaseLimitExceededError`` for the first limit the purchase would break,
    in the order per_order, per_user, per_payment_method, per_address (the cheapest to
    explain first: a too-big order is wrong whatever else the buyer holds)."""
    if requested_tickets < 1:
        raise InvalidInputError(f"requested_tickets must be positive, got {requested_tickets}")
    if requested_tickets > limits.per_order:
        raise PurchaseLimitExceededError(
            limit_name="per_order", limit=limits.per_order, current=0, requested=requested_tickets
        )
    for name, limit, current in (
        ("per_user", limits.per_user, held.by_user),
        ("per_payment_method", limits.per_payment_method, held.by_payment_method),
        ("per_address", limits.per_address, held.by_address),
    ):
        if current + requested_tickets > limit:
            raise PurchaseLimitExceededError(
                limit_name=name, limit=limit, current=current, requested=requested_tickets
            )
