"""Scalper detection: buying to resell, judged from purchase and resale history.

``scalper_features`` is a pure function of the history the caller loads from SQL (the
user's and the device's payments in the last 30 days, the user's resales, the device's
account count and the known_scalpers table), so it is testable without a database and
the same history always gives the same features. ``ScalperDetector`` turns features into
a score. As with bots, real fans look like scalpers in one way at a time (a tour fan
buys many high-demand shows, a family shares a laptop, a parent buys for friends on
on-sale day); scalping shows as several of these at once, or as resale at a profit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import attrs

from tt_fraud.errors import FraudInputError
from tt_fraud.signals import Signal, combine_weights, signals_of, validate_weights
from tt_money.basis_points import BPS_PER_WHOLE

__all__ = [
    "DEFAULT_SCALPER_WEIGHTS",
    "SCALPER_INDICATORS",
    "PastPurchase",
    "PastResale",
    "PurchaseHistory",
    "ScalperAssessment",
    "ScalperDetector",
    "ScalperFeatures",
    "markup_bps",
    "scalper_features",
]

HOUR: Final = timedelta(hours=1)
HISTORY_WINDOW: Final = timedelta(days=30)
"""How far back the features look; the caller need not load more."""


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise FraudInputError(
            f"timestamps must be timezone-aware, not {value!r}",
            details=[("at", "must be timezone-aware")],
        )
    return value


def _non_negative(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FraudInputError(
            f"{attribute.name} must be a non-negative int, not {value!r}",
            details=[(attribute.name, "must be a non-negative integer")],
        )


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    _non_negative(_, attribute, value)
    if value == 0:
        raise FraudInputError(
            f"{attribute.name} must be positive", details=[(attribute.name, "must be positive")]
        )


@attrs.frozen(kw_only=True)
class PastPurchase:
    """One completed payment: whose, for which event, from which device and card, to which
    address, how many tickets, whether the event was high-demand, and when."""

    user_id: str
    event_id: str
    device_fingerprint: str | None
    payment_method: str | None
    address: str | None
    tickets: int = attrs.field(validator=_positive)
    high_demand: bool
    at: datetime = attrs.field(converter=_aware)


@attrs.frozen(kw_only=True)
class PastResale:
    """One resale by the user: the face price paid and the resale price, in minor units."""

    ticket_price_minor: int = attrs.field(validator=_positive)
    resale_price_minor: int = attrs.field(validator=_non_negative)
    at: datetime = attrs.field(converter=_aware)

    @property
    def markup_bps(self) -> int:
        """The resale markup in basis points (negative when sold below face)."""
        return markup_bps(self.ticket_price_minor, self.resale_price_minor)


def markup_bps(ticket_price_minor: int, resale_price_minor: int) -> int:
    """``(resale - price) / price`` in basis points, rounded toward negative infinity.

    Integer maths: 10000 -> 15000 is 5000 bp (+50%), 10000 -> 9000 is -1000 bp.
    """
    return (resale_price_minor - ticket_price_minor) * BPS_PER_WHOLE // ticket_price_minor


@attrs.frozen(kw_only=True)
class PurchaseHistory:
    """What the caller knows: purchases of the user AND of the user's devices (so other
    accounts on a device show up), the user's resales, the device's account count from
    ``device_activity``, and whether known_scalpers lists the user or the device."""

    purchases: tuple[PastPurchase, ...] = ()
    resales: tuple[PastResale, ...] = ()
    accounts_on_device: int = attrs.field(default=1, validator=_non_negative)
    known_scalper: bool = False


@attrs.frozen(kw_only=True)
class ScalperFeatures:
    """The numbers scalper scoring reads, all over the last 30 days unless named otherwise."""

    purchases_last_hour: int
    purchases_30d: int
    tickets_30d: int
    distinct_events_30d: int
    distinct_cards_30d: int
    distinct_addresses_30d: int
    accounts_on_device: int
    high_demand_share_bps: int
    resale_count: int
    median_markup_bps: int | None
    known_scalper: bool


def scalper_features(user_id: str, history: PurchaseHistory, now: datetime) -> ScalperFeatures:
    """Compute the features of ``user_id`` at ``now`` from ``history``. Pure.

    Windows are half-open, ``(now - window, now]``: a purchase exactly one hour old is no
    longer "in the last hour". Purchases after ``now`` (clock skew) are ignored.
    ``accounts_on_device`` is the larger of the caller's count and the distinct users seen
    buying on any device this user bought on.
    """
    now = _aware(now)
    recent = [p for p in history.purchases if now - HISTORY_WINDOW < p.at <= now]
    own = [p for p in recent if p.user_id == user_id]
    devices = {p.device_fingerprint for p in own if p.device_fingerprint is not None}
    users_on_devices = {p.user_id for p in recent if p.device_fingerprint in devices}
    resales = [r for r in history.resales if now - HISTORY_WINDOW < r.at <= now]
    high_demand = sum(1 for p in own if p.high_demand)
    return ScalperFeatures(
        purchases_last_hour=sum(1 for p in own if now - HOUR < p.at),
        purchases_30d=len(own),
        tickets_30d=sum(p.tickets for p in own),
        distinct_events_30d=len({p.event_id for p in own}),
        distinct_cards_30d=len({p.payment_method for p in own if p.payment_method is not None}),
        distinct_addresses_30d=len({p.address for p in own if p.address is not None}),
        accounts_on_device=max(history.accounts_on_device, len(users_on_devices)),
        high_demand_share_bps=high_demand * BPS_PER_WHOLE // len(own) if own else 0,
        resale_count=len(resales),
        median_markup_bps=_median([r.markup_bps for r in resales]),
        known_scalper=history.known_scalper,
    )


def _median(values: list[int]) -> int | None:
    """The median, the mean of the middle two rounded down when the count is even."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


DEFAULT_SCALPER_WEIGHTS: Final[Mapping[str, Decimal]] = {
    "known_scalper": Decimal("1.00"),
    "resale_markup": Decimal("0.50"),
    "purchase_velocity": Decimal("0.45"),
    "device_farm": Decimal("0.45"),
    "many_cards": Decimal("0.35"),
    "frequent_resale": Decimal("0.35"),
    "many_addresses": Decimal("0.30"),
    "shared_device": Decimal("0.20"),
    "high_demand_targeting": Decimal("0.20"),
    "bulk_buying": Decimal("0.20"),
}
"""Indicator -> weight (data). Only ``known_scalper`` decides alone."""

SCALPER_INDICATORS: Final = tuple(DEFAULT_SCALPER_WEIGHTS)


@attrs.frozen(kw_only=True)
class ScalperAssessment:
    """The scalper score (0..1 at 0.01), whether it is above the threshold, and why."""

    score: Decimal
    is_scalper: bool
    indicators: tuple[str, ...]
    signals: tuple[Signal, ...] = ()


def _scalper_weights(weights: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return validate_weights(weights, SCALPER_INDICATORS)


@attrs.frozen
class ScalperDetector:
    """Scores scalper features; ``is_scalper`` above ``threshold`` (spec: > 0.7)."""

    threshold: Decimal = Decimal("0.70")
    weights: Mapping[str, Decimal] = attrs.field(
        default=DEFAULT_SCALPER_WEIGHTS,
        converter=_scalper_weights,
    )

    def assess(self, features: ScalperFeatures) -> ScalperAssessment:
        """Score ``features``. Pure."""
        fired = {
            name: detail
            for name, detail in scalper_evidence(features).items()
            if self.weights.get(name, Decimal(0)) > 0
        }
        score = combine_weights(self.weights[name] for name in fired)
        return ScalperAssessment(
            score=score,
            is_scalper=score > self.threshold,
            indicators=tuple(fired),
            signals=signals_of("scalper", fired, self.weights),
        )


def scalper_evidence(f: ScalperFeatures) -> dict[str, str]:
    """Every indicator the features show, with detail, in SCALPER_INDICATORS order."""
    found: dict[str, str] = {}
    if f.known_scalper:
        found["known_scalper"] = "listed in known_scalpers"
    if f.median_markup_bps is not None and f.resale_count >= 2 and f.median_markup_bps >= 5000:
        found["resale_markup"] = (
            f"{f.resale_count} resales at a median markup of {f.median_markup_bps} bp"
        )
    if f.purchases_last_hour > 5:  # spec: more than 5 purchases in an hour
        found["purchase_velocity"] = f"{f.purchases_last_hour} purchases in the last hour"
    if f.accounts_on_device >= 5:
        found["device_farm"] = f"{f.accounts_on_device} accounts on one device"
    elif f.accounts_on_device >= 3:
        found["shared_device"] = f"{f.accounts_on_device} accounts on one device"
    if f.distinct_cards_30d >= 3:
        found["many_cards"] = f"{f.distinct_cards_30d} cards in 30 days"
    if f.resale_count >= 5:
        found["frequent_resale"] = f"{f.resale_count} resales in 30 days"
    if f.distinct_addresses_30d >= 3:
        found["many_addresses"] = f"{f.distinct_addresses_30d} addresses in 30 days"
    if f.purchases_30d >= 3 and f.high_demand_share_bps >= 8000:
        found["high_demand_targeting"] = (
            f"{f.high_demand_share_bps // 100}% of {f.purchases_30d} purchases were high-demand"
        )
    if f.tickets_30d >= 24:
        found["bulk_buying"] = f"{f.tickets_30d} tickets in 30 days"
    return {name: found[name] for name in SCALPER_INDICATORS if name in found}
