"""Local projections of venues and events, owned upstream by the venue and event services.

Fees and tax need a venue's address, currency and fee terms, and later issues need an
event's start; we keep the latest copy we were sent (``PUT`` replaces it whole).
"""

from __future__ import annotations

import datetime as dt
import uuid

import attrs

from tt_marketplace import RoyaltySettings
from tt_money import USD, Currency, VenueFeeTerms
from tt_money.errors import InvalidInputError, NotFoundError
from tt_tax import Address


class VenueNotFoundError(NotFoundError):
    default_code = "VENUE_NOT_FOUND"


class EventNotFoundError(NotFoundError):
    default_code = "EVENT_NOT_FOUND"


@attrs.frozen(kw_only=True)
class Venue:
    tenant_id: uuid.UUID
    id: uuid.UUID
    name: str
    address: Address
    fee_terms: VenueFeeTerms = attrs.field(factory=VenueFeeTerms)
    royalties: RoyaltySettings = attrs.field(factory=RoyaltySettings)

    def __attrs_post_init__(self) -> None:
        _require_name(self.name)

    @property
    def currency(self) -> Currency:
        """A venue sells in its country's currency (addresses are US-only for now)."""
        return _COUNTRY_CURRENCY[self.address.country]


_COUNTRY_CURRENCY = {"US": USD}


@attrs.frozen(kw_only=True)
class Event:
    tenant_id: uuid.UUID
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    starts_at: dt.datetime

    def __attrs_post_init__(self) -> None:
        _require_name(self.name)
        if self.starts_at.tzinfo is None:
            raise InvalidInputError(
                "an event's start time needs a time zone",
                details=(("startsAt", "must include a UTC offset, e.g. 2025-06-01T20:00:00Z"),),
            )


def _require_name(name: str) -> None:
    if not name.strip() or len(name) > 200:
        raise InvalidInputError(
            "a name must be 1 to 200 characters", details=(("name", "must be 1-200 characters"),)
        )
