"""The venue and event projections, and completed sales volume, in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_ledger.payment_states import REFUNDABLE_STATUSES
from tt_marketplace import RoyaltySettings
from tt_money import Currency, Money, VenueFeeTerms, VenueTier
from tt_payments.catalog import Event, Venue, VenueNotFoundError
from tt_payments.clock import utcnow
from tt_payments.db import raw
from tt_payments.db.database import autocommit
from tt_payments.db.tables.catalog import events, venues
from tt_payments.db.tables.payments import payment_transactions
from tt_tax import Address

# Payments whose ticket value counts towards a venue's tier.
_VOLUME_STATUSES = sorted(status.value for status in REFUNDABLE_STATUSES)

# Read on every payment: built once, executed with parameters.
_VENUE = raw.RawStatement(
    sa.select(venues).where(
        venues.c.tenant_id == sa.bindparam("tenant_id"), venues.c.id == sa.bindparam("id")
    )
)
_EVENT = raw.RawStatement(
    sa.select(events).where(
        events.c.tenant_id == sa.bindparam("tenant_id"), events.c.id == sa.bindparam("id")
    )
)
_VOLUME = sa.select(sa.func.coalesce(sa.func.sum(payment_transactions.c.amount), 0)).where(
    payment_transactions.c.tenant_id == sa.bindparam("tenant_id"),
    payment_transactions.c.venue_id == sa.bindparam("venue_id"),
    payment_transactions.c.currency == sa.bindparam("currency"),
    payment_transactions.c.status.in_(_VOLUME_STATUSES),
    payment_transactions.c.created_at >= sa.bindparam("since"),
    payment_transactions.c.created_at < sa.bindparam("until"),
)


class SqlCatalog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = autocommit(engine)

    async def put_venue(self, venue: Venue) -> bool:
        now = utcnow()
        values: dict[str, Any] = {
            "tenant_id": venue.tenant_id,
            "id": venue.id,
            "name": venue.name,
            "street": venue.address.street,
            "city": venue.address.city,
            "state": venue.address.state,
            "zip": venue.address.zip,
            "country": venue.address.country,
            "time_zone": venue.time_zone,
            "tier_override": (
                venue.fee_terms.tier_override.value if venue.fee_terms.tier_override else None
            ),
            "platform_fee_bps_override": venue.fee_terms.platform_fee_bps_override,
            "royalty_venue_bps": venue.royalties.venue_bps,
            "royalty_artist_bps": venue.royalties.artist_bps,
            "royalty_artist_id": venue.royalties.artist_id,
            "updated_at": now,
        }
        statement = insert(venues).values(created_at=now, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[venues.c.tenant_id, venues.c.id], set_=values
        )
        return await self._upsert(statement)

    async def get_venue(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Venue | None:
        async with self._reads.connect() as connection:
            row = await (await raw.on(connection)).first(
                _VENUE, {"tenant_id": tenant_id, "id": venue_id}
            )
        if row is None:
            return None
        return Venue(
            tenant_id=row["tenant_id"],
            id=row["id"],
            name=row["name"],
            address=Address(
                street=row["street"],
                city=row["city"],
                state=row["state"],
                zip=row["zip"],
                country=row["country"],
            ),
            time_zone=row["time_zone"],
            fee_terms=VenueFeeTerms(
                tier_override=VenueTier(row["tier_override"]) if row["tier_override"] else None,
                platform_fee_bps_override=row["platform_fee_bps_override"],
            ),
            royalties=RoyaltySettings(
                venue_bps=row["royalty_venue_bps"],
                artist_bps=row["royalty_artist_bps"],
                artist_id=row["royalty_artist_id"],
            ),
        )

    async def put_event(self, event: Event) -> bool:
        now = utcnow()
        values: dict[str, Any] = {
            "tenant_id": event.tenant_id,
            "id": event.id,
            "venue_id": event.venue_id,
            "name": event.name,
            "starts_at": event.starts_at,
            "updated_at": now,
        }
        statement = insert(events).values(created_at=now, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[events.c.tenant_id, events.c.id], set_=values
        )
        try:
            return await self._upsert(statement)
        except IntegrityError as error:
            # The venue was deleted between the use case's check and this write.
            raise VenueNotFoundError(f"venue {event.venue_id} does not exist") from error

    async def get_event(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None:
        async with self._reads.connect() as connection:
            row = await (await raw.on(connection)).first(
                _EVENT, {"tenant_id": tenant_id, "id": event_id}
            )
        if row is None:
            return None
        return Event(
            tenant_id=row["tenant_id"],
            id=row["id"],
            venue_id=row["venue_id"],
            name=row["name"],
            starts_at=row["starts_at"],
        )

    async def _upsert(self, statement: Any) -> bool:
        # xmax is 0 only on a freshly inserted row version: the standard upsert tell.
        returning = statement.returning(sa.literal_column("(xmax = 0)").label("inserted"))
        async with self._engine.begin() as connection:
            inserted = (await connection.execute(returning)).scalar_one()
        return bool(inserted)


class SqlSalesVolume:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reads = autocommit(engine)

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        parameters = {
            "tenant_id": tenant_id,
            "venue_id": venue_id,
            "currency": currency.code,
            "since": since,
            "until": until,
        }
        async with self._reads.connect() as connection:
            total = (await connection.execute(_VOLUME, parameters)).scalar_one()
        return Money(int(total), currency)
