"""Venue routes: the balance a venue's managers see (payouts land in issue 6's next part)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath

from tt_api.auth import principal_of
from tt_api.dependencies import ContainerDep
from tt_api.params import parse_id
from tt_api.schemas.venues import BalanceBody, PayoutInfoBody, VenueBalanceResponse


class VenuesController(Controller):
    path = "/api/v1/venues"
    tags = ["venues"]

    @get(
        "/{venue_id:str}/balance",
        operation_id="getVenueBalance",
        summary="The venue's pending, available and reserved funds, and what is payable",
    )
    async def balance(
        self,
        request: Request[object, object, object],
        venue_id: FromPath[str],
        container: ContainerDep,
    ) -> VenueBalanceResponse:
        balance = await container.balances.balance(
            principal_of(request), parse_id(venue_id, "venueId")
        )
        return VenueBalanceResponse(
            balance=BalanceBody(
                available=balance.available.minor,
                pending=balance.pending.minor,
                reserved=balance.reserved.minor,
                currency=balance.currency.code,
            ),
            payout_info=PayoutInfoBody(
                available=balance.available.minor,
                reserved=balance.reserved.minor,
                payable=balance.payable.minor,
            ),
        )
