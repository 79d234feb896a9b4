"""What the other contexts read of the catalog: venues and events (projections of the
ticket service), and the sales that set a venue's fee tier."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from tt_money import Currency, Money
from tt_payments.catalog.records import Event, Venue


class Catalog(Protocol):
    """The venue and event projections of one database."""

    async def put_venue(self, venue: Venue) -> bool:
        """Insert or replace ``venue``; True when it was new."""
        ...

    async def get_venue(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Venue | None: ...

    async def put_event(self, event: Event) -> bool:
        """Insert or replace ``event``; True when it was new. Its venue must exist."""
        ...

    async def get_event(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Event | None: ...


class SalesVolume(Protocol):
    """Completed sales, the input to a venue's fee tier."""

    async def completed_volume(
        self,
        tenant_id: uuid.UUID,
        venue_id: uuid.UUID,
        currency: Currency,
        since: dt.datetime,
        until: dt.datetime,
    ) -> Money:
        """Ticket value of the venue's completed payments in ``[since, until)``."""
        ...
