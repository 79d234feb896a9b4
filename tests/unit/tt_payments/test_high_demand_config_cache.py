"""An event's high-demand settings are reused for a moment, and an entry expiring while it
is being read is a miss, never an error (issue 14: one payment in ~50,000 answered 500
with a KeyError from the cache under load)."""

from __future__ import annotations

import uuid

from tests.unit.tt_payments.fakes import FakeCatalog
from tt_high_demand import WaitingRoom
from tt_payments.high_demand.service import HighDemandService


class CountingStore:
    """The settings store, holding no event: every event is an ordinary one."""

    def __init__(self) -> None:
        self.reads = 0

    async def get(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> None:
        self.reads += 1


class Ticking:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def service(store: CountingStore, timer: Ticking) -> HighDemandService:
    return HighDemandService(
        store=store,  # type: ignore[arg-type]
        room=WaitingRoom.__new__(WaitingRoom),  # config() never uses the room
        catalog=FakeCatalog(),  # type: ignore[arg-type]
        cache_seconds=1,
        cache_timer=timer,
    )


async def test_an_ordinary_event_is_cached_for_the_moment() -> None:
    store = CountingStore()
    settings = service(store, Ticking(0.01))
    tenant, event = uuid.uuid4(), uuid.uuid4()
    assert [await settings.config(tenant, event) for _ in range(10)] == [None] * 10
    assert store.reads == 1


async def test_an_entry_expiring_between_two_reads_of_the_clock_is_a_miss() -> None:
    # Given a cache whose clock moves 0.6 s a reading, against a 1 s TTL: an entry alive
    # at one reading is gone at the next
    store = CountingStore()
    settings = service(store, Ticking(0.6))
    tenant, event = uuid.uuid4(), uuid.uuid4()
    await settings.config(tenant, event)

    # When the settings are asked for again and again, then each answer is the store's
    # (read again when expired), never an error
    for _ in range(20):
        assert await settings.config(tenant, event) is None
    assert store.reads > 1
