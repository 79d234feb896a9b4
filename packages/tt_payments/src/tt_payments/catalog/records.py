"""Local projections of venues and events, owned upstream by the venue and event services.

Fees and tax need a venue's address, currency and fee terms, and later issues need an
event's start; we keep the latest copy we were sent (``PUT`` replaces it whole).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import attrs

from tt_marketplace import RoyaltySettings
from tt_money import USD, Currency, VenueFeeTerms, VenueTier
from tt_money.errors import InvalidInputError, NotFoundError
from tt_tax import Address, AddressError


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
    time_zone: str
    """IANA zone of the venue; the sale date for tax is the date there."""
    fee_terms: VenueFeeTerms = attrs.field(factory=VenueFeeTerms)
    royalties: RoyaltySettings = attrs.field(factory=RoyaltySettings)

    def __attrs_post_init__(self) -> None:
        _require_name(self.name)
        _require_time_zone(self.time_zone)

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar date at the venue at ``moment`` (an aware datetime)."""
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

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


def venue_from_fields(
    *,
    tenant_id: uuid.UUID,
    venue_id: uuid.UUID,
    name: str,
    street: str | None,
    city: str,
    state: str,
    zip_code: str,
    country: str = "US",
    time_zone: str | None = None,
    tier_override: VenueTier | None = None,
    platform_fee_bps_override: int | None = None,
    royalties: RoyaltySettings | None = None,
) -> Venue:
    """A venue from the flat fields the API and the CLI take; address errors are named
    ``address.<field>``, and the time zone defaults to the state's predominant one."""
    try:
        address = Address(street=street, city=city, state=state, zip=zip_code, country=country)
    except AddressError as error:
        raise error.with_field_prefix("address") from None
    return Venue(
        tenant_id=tenant_id,
        id=venue_id,
        name=name,
        address=address,
        time_zone=time_zone or default_time_zone(address.state),
        fee_terms=VenueFeeTerms(
            tier_override=tier_override, platform_fee_bps_override=platform_fee_bps_override
        ),
        royalties=royalties or RoyaltySettings(),
    )


def default_time_zone(state: str) -> str:
    """The zone most of ``state`` keeps; venues in a state's other zone must say so."""
    zone = _STATE_TIME_ZONES.get(state)
    if zone is None:
        raise InvalidInputError(
            f"no default time zone for {state}",
            details=(("timeZone", f"is required for a venue in {state}"),),
        )
    return zone


def _require_time_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            f"unknown time zone {name!r}",
            details=(("timeZone", "must be an IANA time zone such as America/Chicago"),),
        ) from None


_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)
# The predominant zone of each state (Tennessee: Nashville and Memphis are Central,
# Knoxville and Chattanooga Eastern, so an East Tennessee venue sets its zone).
_STATE_TIME_ZONES = {
    **dict.fromkeys(
        (
            "CT",
            "DC",
            "DE",
            "FL",
            "GA",
            "KY",
            "MA",
            "MD",
            "ME",
            "NC",
            "NH",
            "NJ",
            "NY",
            "OH",
            "PA",
            "RI",
            "SC",
            "VA",
            "VT",
            "WV",
        ),
        _EASTERN,
    ),
    **dict.fromkeys(
        (
            "AL",
            "AR",
            "IA",
            "IL",
            "KS",
            "LA",
            "MN",
            "MO",
            "MS",
            "ND",
            "NE",
            "OK",
            "SD",
            "TN",
            "TX",
            "WI",
        ),
        _CENTRAL,
    ),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), _MOUNTAIN),
    **dict.fromkeys(("CA", "NV", "OR", "WA"), _PACIFIC),
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IN": "America/Indiana/Indianapolis",
    "MI": "America/Detroit",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}


def _require_name(name: str) -> None:
    if not name.strip() or len(name) > 200:
        raise InvalidInputError(
            "a name must be 1 to 200 characters", details=(("name", "must be 1-200 characters"),)
        )
