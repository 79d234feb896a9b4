"""Venue and event projections and sales volume, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tt_marketplace import RoyaltySettings
from tt_money import USD, Money, VenueFeeTerms, VenueTier
from tt_payments import Container
from tt_payments.catalog import Event, Venue, VenueNotFoundError
from tt_payments.identity import ForbiddenError, Principal, Role
from tt_payments.use_cases import catalog as use_cases
from tt_tax import Address


def admin(tenant: uuid.UUID) -> Principal:
    return Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)


def venue(tenant: uuid.UUID, **changes: object) -> Venue:
    fields: dict[str, object] = {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "name": "Ryman Auditorium",
        "address": Address(street="116 5th Ave N", city="Nashville", state="TN", zip="37219"),
        "fee_terms": VenueFeeTerms(tier_override=VenueTier.PRO),
        "royalties": RoyaltySettings(venue_bps=1000, artist_bps=500, artist_id=uuid.uuid4()),
    }
    fields.update(changes)
    return Venue(**fields)  # type: ignore[arg-type]


async def test_put_venue_creates_then_replaces(container: Container, tenant: uuid.UUID) -> None:
    original = venue(tenant)
    assert await use_cases.put_venue(container.catalog, admin(tenant), original) is True
    assert await container.catalog.get_venue(tenant, original.id) == original

    renamed = venue(tenant, id=original.id, name="The Ryman", fee_terms=VenueFeeTerms())
    assert await use_cases.put_venue(container.catalog, admin(tenant), renamed) is False
    assert await container.catalog.get_venue(tenant, original.id) == renamed


async def test_venues_are_invisible_to_other_tenants(
    container: Container, tenant: uuid.UUID
) -> None:
    stored = venue(tenant)
    await use_cases.put_venue(container.catalog, admin(tenant), stored)
    assert await container.catalog.get_venue(uuid.uuid4(), stored.id) is None


async def test_only_admins_put_venues(container: Container, tenant: uuid.UUID) -> None:
    user = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.VENUE_MANAGER)
    with pytest.raises(ForbiddenError):
        await use_cases.put_venue(container.catalog, user, venue(tenant))


async def test_put_event_needs_its_venue(container: Container, tenant: uuid.UUID) -> None:
    stored = venue(tenant)
    await use_cases.put_venue(container.catalog, admin(tenant), stored)
    start = dt.datetime(2025, 6, 1, 20, tzinfo=dt.UTC)
    event = Event(
        tenant_id=tenant, id=uuid.uuid4(), venue_id=stored.id, name="Show", starts_at=start
    )
    assert await use_cases.put_event(container.catalog, admin(tenant), event) is True
    assert await container.catalog.get_event(tenant, event.id) == event
    moved = Event(
        tenant_id=tenant, id=event.id, venue_id=uuid.uuid4(), name="Show", starts_at=start
    )
    with pytest.raises(VenueNotFoundError):
        await use_cases.put_event(container.catalog, admin(tenant), moved)
    assert await container.catalog.get_event(tenant, event.id) == event


async def test_sales_volume_of_a_venue_without_sales_is_zero(
    container: Container, tenant: uuid.UUID
) -> None:
    now = dt.datetime.now(dt.UTC)
    volume = await container.fees.sales_volume.completed_volume(
        tenant, uuid.uuid4(), USD, now - dt.timedelta(days=30), now
    )
    assert volume == Money(0, USD)
