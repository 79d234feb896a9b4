"""Velocity limits as data: how many attempts per user, IP and card in sliding windows.

The spec's limits (user 5/hour, 20/day, 50/week; IP 10/minute, 50/hour; card 10/day and
at most 3 distinct users a day) are ``VelocityPolicy.spec_default()``; tenants and events
override them with JSON, so nothing here hard-codes a number. Counting happens behind the
``VelocityCounter`` port (Redis in production); this module only describes what to count.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Final

import attrs

from tt_fraud.errors import FraudInputError

__all__ = [
    "VelocityDimension",
    "VelocityLimit",
    "VelocityPolicy",
    "VelocitySubjects",
    "VelocityVerdict",
]

_MAX_WINDOW: Final = timedelta(days=366)


class VelocityDimension(enum.Enum):
    """What a limit counts: attempts by a user, from an IP, with a card, or the distinct
    users who tried one card (a stolen card passed around)."""

    USER = "user"
    IP = "ip"
    CARD = "card"
    CARD_USERS = "card_users"


def _check_window(_: object, __: object, window: timedelta) -> None:
    if not isinstance(window, timedelta) or not timedelta(0) < window <= _MAX_WINDOW:
        raise FraudInputError(
            f"a velocity window must be a timedelta in (0, 366 days], not {window!r}",
            details=[("window", "must be between 1 second and 366 days")],
        )
    if window % timedelta(seconds=1):
        raise FraudInputError(
            f"a velocity window must be whole seconds, not {window!r}",
            details=[("window", "must be whole seconds")],
        )


def _check_limit(_: object, __: object, limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise FraudInputError(
            f"a velocity limit must be a positive int, not {limit!r}",
            details=[("limit", "must be a positive integer")],
        )


@attrs.frozen(kw_only=True)
class VelocityLimit:
    """At most ``limit`` attempts (or distinct users, for CARD_USERS) per ``window``.

    The N-th attempt inside the window is allowed while N <= limit.
    """

    dimension: VelocityDimension = attrs.field(
        validator=attrs.validators.instance_of(VelocityDimension)
    )
    window: timedelta = attrs.field(validator=_check_window)
    limit: int = attrs.field(validator=_check_limit)

    @property
    def window_ms(self) -> int:
        return self.window // timedelta(milliseconds=1)

    @property
    def key(self) -> str:
        """A stable name, ``user/3600s``: the key of ``VelocityVerdict.counts``."""
        return f"{self.dimension.value}/{self.window // timedelta(seconds=1)}s"

    def to_json(self) -> dict[str, object]:
        return {
            "dimension": self.dimension.value,
            "windowSeconds": self.window // timedelta(seconds=1),
            "limit": self.limit,
        }


def _unique_keys(_: object, __: object, limits: tuple[VelocityLimit, ...]) -> None:
    keys = [limit.key for limit in limits]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise FraudInputError(
            f"a velocity policy has two limits on {duplicates[0]}",
            details=[("limits", f"{key} appears more than once") for key in duplicates],
        )


def _limits(limits: Iterable[VelocityLimit]) -> tuple[VelocityLimit, ...]:
    return tuple(limits)


@attrs.frozen
class VelocityPolicy:
    """The limits checked together on every payment attempt (one window per dimension once)."""

    limits: tuple[VelocityLimit, ...] = attrs.field(converter=_limits, validator=_unique_keys)

    @classmethod
    def spec_default(cls) -> VelocityPolicy:
        """The spec's limits: user 5/h, 20/day, 50/week; IP 10/min, 50/h; card 10/day;
        a card used by at most 3 distinct users a day."""
        user, ip, card = VelocityDimension.USER, VelocityDimension.IP, VelocityDimension.CARD
        minute, hour, day = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
        return cls(
            (
                VelocityLimit(dimension=user, window=hour, limit=5),
                VelocityLimit(dimension=user, window=day, limit=20),
                VelocityLimit(dimension=user, window=timedelta(weeks=1), limit=50),
                VelocityLimit(dimension=ip, window=minute, limit=10),
                VelocityLimit(dimension=ip, window=hour, limit=50),
                VelocityLimit(dimension=card, window=day, limit=10),
                VelocityLimit(dimension=VelocityDimension.CARD_USERS, window=day, limit=3),
            )
        )

    def to_json(self) -> dict[str, object]:
        """``{"limits": [{"dimension": "user", "windowSeconds": 3600, "limit": 5}, ...]}``."""
        return {"limits": [limit.to_json() for limit in self.limits]}

    @classmethod
    def from_json(cls, obj: object) -> VelocityPolicy:
        """Read what ``to_json`` wrote; anything else raises ``FraudInputError`` naming it."""
        raw = obj.get("limits") if isinstance(obj, Mapping) else None
        if not isinstance(raw, list):
            raise FraudInputError(
                "a velocity policy must be an object with a limits array",
                details=[("limits", "must be an array")],
            )
        limits: list[VelocityLimit] = []
        for index, item in enumerate(raw):
            field = f"limits[{index}]"
            if not isinstance(item, Mapping):
                raise FraudInputError(
                    f"{field} must be an object", details=[(field, "must be an object")]
                )
            try:
                dimension = VelocityDimension(item.get("dimension"))
            except ValueError:
                raise FraudInputError(
                    f"{field}.dimension is not one of user, ip, card, card_users",
                    details=[(f"{field}.dimension", "must be user, ip, card or card_users")],
                ) from None
            seconds, limit = item.get("windowSeconds"), item.get("limit")
            for name, value in (("windowSeconds", seconds), ("limit", limit)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise FraudInputError(
                        f"{field}.{name} must be a positive integer",
                        details=[(f"{field}.{name}", "must be a positive integer")],
                    )
            assert isinstance(seconds, int)
            assert isinstance(limit, int)
            try:
                limits.append(
                    VelocityLimit(
                        dimension=dimension, window=timedelta(seconds=seconds), limit=limit
                    )
                )
            except FraudInputError as error:
                raise FraudInputError(
                    f"{field}: {error.message}",
                    details=[(f"{field}.{name}", message) for name, message in error.details],
                ) from None
        return cls(tuple(limits))


def _subject(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name not in ("tenant_id", "user_id"):
        return
    if not isinstance(value, str) or not value or "{" in value or "}" in value:
        raise FraudInputError(
            f"{attribute.name} must be a non-empty string without braces, not {value!r}",
            details=[(attribute.name, "must be a non-empty string without { or }")],
        )


@attrs.frozen(kw_only=True)
class VelocitySubjects:
    """Who is attempting: the tenant, the user, and when known the client IP and the card.

    ``card`` is a card fingerprint or payment-method id, never a card number. Braces are
    refused because keys use ``{tenant}`` as the Redis Cluster hash tag.
    """

    tenant_id: str = attrs.field(validator=_subject)
    user_id: str = attrs.field(validator=_subject)
    ip: str | None = attrs.field(default=None, validator=_subject)
    card: str | None = attrs.field(default=None, validator=_subject)

    def subject_of(self, dimension: VelocityDimension) -> str | None:
        """The id a limit on ``dimension`` counts under, or ``None`` when unknown (skipped)."""
        if dimension is VelocityDimension.USER:
            return self.user_id
        if dimension is VelocityDimension.IP:
            return self.ip
        return self.card


@attrs.frozen(kw_only=True)
class VelocityVerdict:
    """The answer for one attempt.

    ``allowed``: every limit had room, and the attempt was recorded. Otherwise ``exceeded``
    is the refusing limit (the one with the longest wait, if several) and
    ``retry_after_seconds`` (>= 1) is how long until it has room; a refused attempt is
    not recorded. ``counts[limit.key]`` is the attempt's position N in each window
    (N <= limit when allowed); limits whose subject is unknown are absent.
    """

    allowed: bool
    exceeded: VelocityLimit | None
    retry_after_seconds: int
    counts: Mapping[str, int]
