"""Per-event settings: validated at construction, the seed secret until the on-sale."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tt_high_demand import HighDemandConfig, HighDemandConfigError, PurchaseLimits

ON_SALE = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def config(**changes: Any) -> HighDemandConfig:
    fields: dict[str, Any] = {
        "tenant_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "enabled": True,
        "on_sale_at": ON_SALE,
        "active_slots": 100,
    }
    return HighDemandConfig(**{**fields, **changes})


def test_defaults_are_the_issue_s_numbers() -> None:
    room = config()
    assert room.token_ttl == timedelta(minutes=10)
    assert room.heartbeat_timeout == timedelta(seconds=60)
    assert room.limits == PurchaseLimits(
        per_user=4, per_payment_method=4, per_address=8, per_order=4
    )
    assert len(room.seed) == 32


def test_the_commitment_is_the_sha256_of_the_seed() -> None:
    room = config()
    assert room.seed_commitment == hashlib.sha256(room.seed).hexdigest()


def test_the_seed_is_published_from_the_on_sale_on_and_never_printed() -> None:
    room = config()
    assert room.published_seed(ON_SALE - timedelta(milliseconds=1)) is None
    assert room.published_seed(ON_SALE) == room.seed.hex()
    assert room.seed.hex() not in repr(room)


@pytest.mark.parametrize(
    "changes",
    [
        {"active_slots": 0},
        {"active_slots": True},
        {"on_sale_at": datetime(2026, 12, 1, 10, 0)},  # noqa: DTZ001 - naive on purpose
        {"on_sale_at": datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))},
        {"token_ttl": timedelta(0)},
        {"heartbeat_timeout": timedelta(seconds=-1)},
        {"seed": b"short"},
    ],
)
def test_settings_that_cannot_work_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(HighDemandConfigError) as refused:
        config(**changes)
    assert refused.value.code == "VALIDATION_ERROR"


@pytest.mark.parametrize("field", ["per_user", "per_payment_method", "per_address", "per_order"])
@pytest.mark.parametrize("value", [0, -1, False, 2.5])
def test_limits_must_be_positive_integers(field: str, value: object) -> None:
    with pytest.raises(HighDemandConfigError):
        PurchaseLimits(**{field: value})  # type: ignore[arg-type]
