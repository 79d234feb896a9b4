"""Places: which local and special tax jurisdictions cover an address, by city or ZIP."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from tt_tax.address import Address

__all__ = ["Place", "find_place", "place_key"]


def place_key(name: str) -> str:
    """How city names compare: case-insensitive, whitespace collapsed.

    ``place_key(" new  YORK") == place_key("New York")``.
    """
    return " ".join(name.split()).casefold()


@attrs.frozen(kw_only=True)
class Place:
    """A city (under any of its ``cities`` names, stored as ``place_key``s) or ZIP area in
    ``state``, and the ids of the local and special jurisdictions that cover it."""

    state: str
    cities: frozenset[str]
    zip_prefixes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...]

    def has_city(self, city: str) -> bool:
        return place_key(city) in self.cities

    def has_zip(self, zip_code: str) -> bool:
        return any(zip_code.startswith(prefix) for prefix in self.zip_prefixes)


def find_place(places: Iterable[Place], address: Address) -> Place | None:
    """The place ``address`` lies in, or ``None`` when no place in its state claims it.

    The city decides first; the ZIP is consulted only when no city matches, so a venue
    written as "Antioch, TN 37013" and one written as "Nashville, TN 37203" both land in
    Metro Nashville. The rate tables guarantee at most one place per city and per ZIP.
    """
    in_state = [place for place in places if place.state == address.state]
    by_city = next((place for place in in_state if place.has_city(address.city)), None)
    if by_city is not None:
        return by_city
    return next((place for place in in_state if place.has_zip(address.zip5)), None)
