"""A postal address, checked for the shape sales tax needs: state, city and ZIP."""

from __future__ import annotations

import re

import attrs

from tt_tax.errors import InvalidAddressError
from tt_tax.states import USPS_STATE_CODES

__all__ = ["Address"]

# [0-9], not \d: \d also matches non-ASCII digits such as "٣".
_ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?")
_SUPPORTED_COUNTRIES = frozenset({"US"})


def _strip_upper(value: str) -> str:
    return value.strip().upper() if isinstance(value, str) else value


def _collapse_spaces(value: str) -> str:
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip(value: str) -> str:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: str | None) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return value


@attrs.frozen(kw_only=True)
class Address:
    """A US postal address. Construction normalises and validates it.

    ``state`` and ``country`` are upper-cased, ``city`` and ``street`` have their whitespace
    collapsed, a blank ``street`` becomes ``None``. A malformed address raises
    ``InvalidAddressError`` (code ``INVALID_ADDRESS``) listing every bad field in
    ``details`` by its bare name (``("zip", "must be a 5-digit ZIP or ZIP+4")``); the caller
    puts the names under the request's key with ``err.with_field_prefix("venueAddress")``.

    A well-formed address need not be one we can tax: ``state="PR"`` is a valid USPS code,
    and it is the rate source that refuses it.
    """

    street: str | None = attrs.field(default=None, converter=_blank_to_none)
    city: str = attrs.field(converter=_collapse_spaces)
    state: str = attrs.field(converter=_strip_upper)
    zip: str = attrs.field(converter=_strip)
    country: str = attrs.field(default="US", converter=_strip_upper)

    def __attrs_post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        if self.street is not None and not isinstance(self.street, str):
            problems.append(("street", "must be text"))
        if not isinstance(self.city, str) or not self.city:
            problems.append(("city", "must not be empty"))
        if not isinstance(self.state, str) or self.state not in USPS_STATE_CODES:
            problems.append(("state", "must be a two-letter USPS state code"))
        if not isinstance(self.zip, str) or _ZIP.fullmatch(self.zip) is None:
            problems.append(("zip", "must be a 5-digit ZIP or ZIP+4"))
        if self.country not in _SUPPORTED_COUNTRIES:
            problems.append(("country", "only US addresses are supported"))
        if problems:
            fields = ", ".join(field for field, _ in problems)
            raise InvalidAddressError(f"invalid address ({fields})", details=problems)

    @property
    def zip5(self) -> str:
        """The five-digit ZIP, without any +4 suffix."""
        return self.zip[:5]
