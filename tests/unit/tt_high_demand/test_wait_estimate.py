"""The estimated wait: turnovers ahead of the entry times the average slot hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tt_high_demand import HighDemandConfig, estimate_wait_seconds


def room(slots: int) -> HighDemandConfig:
    return HighDemandConfig(
        tenant_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        enabled=True,
        on_sale_at=datetime(2026, 12, 1, tzinfo=UTC),
        active_slots=slots,
    )


def test_before_any_slot_frees_a_hold_is_taken_as_half_the_token_ttl() -> None:
    assert estimate_wait_seconds(room(100), position=1, releases=0, held_ms=0) == 300
    assert estimate_wait_seconds(room(100), position=101, releases=0, held_ms=0) == 600


def test_observed_holds_replace_the_guess() -> None:
    # Three slots freed after 60 s, 90 s and 120 s: 90 s per turnover.
    held = (60 + 90 + 120) * 1000
    assert estimate_wait_seconds(room(10), position=25, releases=3, held_ms=held) == 3 * 90


def test_very_short_holds_are_floored_at_five_seconds() -> None:
    assert estimate_wait_seconds(room(1), position=2, releases=10, held_ms=10) == 2 * 5


@given(
    slots=st.integers(1, 1000),
    position=st.integers(1, 100_000),
    releases=st.integers(0, 1000),
    held_ms=st.integers(0, 10**9),
)
def test_nobody_behind_is_told_a_shorter_wait(
    slots: int, position: int, releases: int, held_ms: int
) -> None:
    config = room(slots)
    here = estimate_wait_seconds(config, position=position, releases=releases, held_ms=held_ms)
    behind = estimate_wait_seconds(
        config, position=position + 1, releases=releases, held_ms=held_ms
    )
    assert 0 < here <= behind
