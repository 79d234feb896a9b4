"""A venue's royalty terms on resales: what share of a resale goes to the venue and artist."""

from __future__ import annotations

import uuid

import attrs

from tt_money.errors import InvalidInputError

_WHOLE_BPS = 10_000


def _share_bps(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int number of basis points")
    if not 0 <= value <= _WHOLE_BPS:
        raise InvalidInputError(
            f"{attribute.name} must be between 0 and 10000 basis points",
            details=((attribute.name, "must be between 0 and 10000"),),
        )


@attrs.frozen(kw_only=True)
class RoyaltySettings:
    venue_bps: int = attrs.field(default=0, validator=_share_bps)
    artist_bps: int = attrs.field(default=0, validator=_share_bps)
    artist_id: uuid.UUID | None = None

    def __attrs_post_init__(self) -> None:
        if self.venue_bps + self.artist_bps > _WHOLE_BPS:
            raise InvalidInputError("venue and artist royalties together exceed 100%")
        if self.artist_bps and self.artist_id is None:
            raise InvalidInputError(
                "an artist royalty needs the artist's id",
                details=(("artistId", "is required when artistBps is above 0"),),
            )
