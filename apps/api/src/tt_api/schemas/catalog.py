"""Bodies of the venue and event projection routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000)]


class Schema(msgspec.Struct, rename="camel", forbid_unknown_fields=True, omit_defaults=False):
    pass


class AddressBody(Schema):
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    state: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]
    zip: Annotated[str, msgspec.Meta(min_length=5, max_length=10)]
    street: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    country: Literal["US"] = "US"


class RoyaltyBody(Schema):
    venue_bps: Bps = 0
    artist_bps: Bps = 0
    artist_id: uuid.UUID | None = None


class PutVenueRequest(Schema):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    address: AddressBody
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    """IANA zone; default: the predominant zone of the venue's state."""
    tier_override: Literal["starter", "pro", "enterprise"] | None = None
    platform_fee_bps_override: Bps | None = None
    royalty: RoyaltyBody | None = None


class VenueBody(Schema):
    id: uuid.UUID
    name: str
    address: AddressBody
    time_zone: str
    currency: str
    tier_override: str | None
    platform_fee_bps_override: int | None
    royalty: RoyaltyBody


class PutVenueResponse(Schema):
    venue: VenueBody
    created: bool


class PutEventRequest(Schema):
    venue_id: uuid.UUID
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    starts_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]


class EventBody(Schema):
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    starts_at: dt.datetime


class PutEventResponse(Schema):
    event: EventBody
    created: bool


class PutTicketTypeRequest(Schema):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    price: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
    """Per ticket, integer minor units (cents)."""
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")]
    capacity: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class TicketTypeBody(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    price: int
    currency: str
    capacity: int
    held: int
    sold: int
    available: int


class PutTicketTypeResponse(Schema):
    ticket_type: TicketTypeBody
    created: bool


class TicketTypesResponse(Schema):
    ticket_types: list[TicketTypeBody]
