"""Venue and event projections and sales volume, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tt_marketplace import RoyaltySettings
from tt_money import USD, Money, VenueFeeTerms, VenueTier
from tt_money.errors import InvalidInputError
from tt_payments import Container
from tt_payments.auth.identity import ForbiddenError, Principal, Role
from tt_payments.catalog import Event, Venue, VenueNotFoundError
from tt_payments.catalog import service as use_cases
from tt_tax import Address, UnknownJurisdictionError


def admin(tenant: uuid.UUID) -> Principal:
    return Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)


def venue(tenant: uuid.UUID, **changes: object) -> Venue:
    fields: dict[str, object] = {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "name": "Ryman Auditorium",
        "address": Address(street="116 5th Ave N", city="Nashville", state="TN", zip="37219"),
        "time_zone": "America/Chicago",
        "fee_terms": VenueFeeTerms(tier_override=VenueTier.PRO),
        "royalties": RoyaltySettings(venue_bps=1000, artist_bps=500, artist_id=uuid.uuid4()),
    }
    fields.update(changes)
    return Venue(**fields)  # type: ignore[arg-type]


async def test_put_venue_creates_then_replaces(container: Container, tenant: uuid.UUID) -> None:
    original = venue(tenant)
    assert (
        await use_cases.put_venue(container.catalog, container.tax, admin(tenant), original) is True
    )
    assert await container.catalog.get_venue(tenant, original.id) == original

    renamed = venue(tenant, id=original.id, name="The Ryman", fee_terms=VenueFeeTerms())
    assert (
        await use_cases.put_venue(container.catalog, container.tax, admin(tenant), renamed) is False
    )
    assert await container.catalog.get_venue(tenant, original.id) == renamed


async def test_venues_are_invisible_to_other_tenants(
    container: Container, tenant: uuid.UUID
) -> None:
    stored = venue(tenant)
    await use_cases.put_venue(container.catalog, container.tax, admin(tenant), stored)
    assert await container.catalog.get_venue(uuid.uuid4(), stored.id) is None


async def test_only_admins_put_venues(container: Container, tenant: uuid.UUID) -> None:
    user = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.VENUE_MANAGER)
    with pytest.raises(ForbiddenError):
        await use_cases.put_venue(container.catalog, container.tax, user, venue(tenant))


async def test_put_event_needs_its_venue(container: Container, tenant: uuid.UUID) -> None:
    stored = venue(tenant)
    await use_cases.put_venue(container.catalog, container.tax, admin(tenant), stored)
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


async def test_a_venue_in_a_state_without_tax_rates_is_refused_at_registration(
    container: Container, tenant: uuid.UUID
) -> None:
    puerto_rico = venue(
        tenant,
        address=Address(city="San Juan", state="PR", zip="00901"),
        time_zone="America/Puerto_Rico",
    )
    with pytest.raises(UnknownJurisdictionError) as error:
        await use_cases.put_venue(container.catalog, container.tax, admin(tenant), puerto_rico)
    assert error.value.details == (("address.state", error.value.details[0][1]),)
    assert await container.catalog.get_venue(tenant, puerto_rico.id) is None


async def test_the_default_sale_date_is_the_date_at_the_venue(
    container: Container, tenant: uuid.UUID
) -> None:
    # Given a Nashville venue (Central time)
    stored = venue(tenant, fee_terms=VenueFeeTerms())
    await use_cases.put_venue(container.catalog, container.tax, admin(tenant), stored)
    principal = admin(tenant)

    async def local_tax_at(moment: dt.datetime) -> int:
        quote = await container.fees.calculate(
            principal, venue_id=stored.id, amount_minor=10000, ticket_count=1, now=moment
        )
        return quote.tax.local_tax.minor

    # When a sale happens at 20:00 on 2025-01-31 in Nashville (02:00 UTC on 2025-02-01)
    # Then January's 2.25% applies; from midnight in Nashville, February's 2.75%
    assert await local_tax_at(dt.datetime(2025, 2, 1, 2, tzinfo=dt.UTC)) == 225
    assert await local_tax_at(dt.datetime(2025, 2, 1, 6, tzinfo=dt.UTC)) == 275


def test_a_venue_needs_a_real_time_zone() -> None:
    with pytest.raises(InvalidInputError) as error:
        venue(uuid.uuid4(), time_zone="Mars/Olympus_Mons")
    assert error.value.details[0][0] == "timeZone"
