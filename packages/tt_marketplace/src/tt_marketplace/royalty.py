"""A venue's royalty terms on resales: what share of a resale goes to the venue and artist."""

from __future__ import annotations

import uuid

import attrs

from tt_money import require_rate_bps
from tt_money.errors import InvalidInputError

_WHOLE_BPS = 10_000


def _share_bps(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    require_rate_bps(value, attribute.name)


@attrs.frozen(kw_only=True)
class RoyaltySettings:
    venue_bps: int = attrs.field(default=0, validator=_share_bps)
    artist_bps: int = attrs.field(default=0, validator=_share_bps)
    artist_id: uuid.UUID | None = None

    def __attrs_post_init__(self) -> None:
        if self.venue_bps + self.artist_bps > _WHOLE_BPS:
            raise InvalidInputError(
                "venue and artist royalties together exceed 100%",
                details=(("royalty", "venueBps + artistBps must not exceed 10000"),),
            )
        if self.artist_bps and self.artist_id is None:
            raise InvalidInputError(
                "an artist royalty needs the artist's id",
                details=(("artistId", "is required when artistBps is above 0"),),
            )
