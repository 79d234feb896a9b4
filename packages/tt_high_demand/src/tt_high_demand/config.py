"""Per-event waiting-room settings: on/off, on-sale time, slots, token TTL, limits and seed.

The seed decides the order of everyone who joined before the on-sale. Its SHA-256 (the
commitment) is published before the sale and the seed itself only once the sale has
started, so nobody can predict the draw and anyone can check it afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from tt_high_demand.errors import HighDemandConfigError

SEED_BYTES = 32


def new_seed() -> bytes:
    """32 bytes from the operating system's CSPRNG: a guessable seed would let a bot
    compute the pre-sale draw and pick the accounts that come out first."""
    return secrets.token_bytes(SEED_BYTES)


def _positive_int(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # bool is an int to Python, never a limit to us.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HighDemandConfigError(
            f"{attribute.name} must be a positive integer, got {value!r}",
            details=((attribute.name, "must be a positive integer"),),
        )


def _positive_duration(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise HighDemandConfigError(
            f"{attribute.name} must be a positive duration, got {value!r}",
            details=((attribute.name, "must be a positive duration"),),
        )


def _aware_utc(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime) or value.utcoffset() != timedelta(0):
        raise HighDemandConfigError(
            f"{attribute.name} must be an aware UTC datetime, got {value!r}",
            details=((attribute.name, "must be an aware UTC datetime"),),
        )


def _seed(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bytes) or len(value) != SEED_BYTES:
        raise HighDemandConfigError(
            f"seed must be {SEED_BYTES} bytes", details=(("seed", f"must be {SEED_BYTES} bytes"),)
        )


@attrs.frozen(kw_only=True)
class PurchaseLimits:
    """How many tickets of one event a buyer may hold (the spec's event_purchase_limits)."""

    per_user: int = attrs.field(default=4, validator=_positive_int)
    per_payment_method: int = attrs.field(default=4, validator=_positive_int)
    per_address: int = attrs.field(default=8, validator=_positive_int)
    per_order: int = attrs.field(default=4, validator=_positive_int)


@attrs.frozen(kw_only=True)
class HighDemandConfig:
    """One event's waiting room. ``seed`` is secret until ``on_sale_at``: it stays out of
    ``repr`` so it cannot leak into a log line before the sale."""

    tenant_id: uuid.UUID
    event_id: uuid.UUID
    enabled: bool
    on_sale_at: datetime = attrs.field(validator=_aware_utc)
    active_slots: int = attrs.field(validator=_positive_int)
    token_ttl: timedelta = attrs.field(default=timedelta(minutes=10), validator=_positive_duration)
    heartbeat_timeout: timedelta = attrs.field(
        default=timedelta(seconds=60), validator=_positive_duration
    )
    limits: PurchaseLimits = attrs.field(factory=PurchaseLimits)
    seed: bytes = attrs.field(factory=new_seed, validator=_seed, repr=False)

    @property
    def seed_commitment(self) -> str:
        """SHA-256 of the seed bytes, hex: publishable before the sale, binds us to the seed."""
        return hashlib.sha256(self.seed).hexdigest()

    def published_seed(self, now: datetime) -> str | None:
        """The seed in hex once the sale has started (the draw is then fixed), else None."""
        return self.seed.hex() if now >= self.on_sale_at else None

    def has_started(self, now: datetime) -> bool:
        return now >= self.on_sale_at


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def ms_from_datetime(moment: datetime) -> int:
    """Whole milliseconds since the epoch, the store's clock; integer maths, no float
    rounding, so a deadline computed here and one computed in Redis agree to the ms."""
    return (moment - _EPOCH) // _MILLISECOND


def datetime_from_ms(ms: int) -> datetime:
    """The inverse of ``ms_from_datetime``."""
    return _EPOCH + ms * _MILLISECOND


def ms_from_timedelta(duration: timedelta) -> int:
    return duration // _MILLISECOND
