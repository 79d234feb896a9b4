"""Venue routes: the balance a venue's managers see, and its payouts."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from tt_api.auth import principal_of
from tt_api.dependencies import BalancesDep, IdempotencyDep, PayoutsDep
from tt_api.idempotency import run_idempotent
from tt_api.params import parse_id
from tt_api.schemas.venues import (
    BalanceBody,
    PayoutInfoBody,
    PayoutRequestBody,
    PayoutResponse,
    VenueBalanceResponse,
)
from tt_ledger import PayoutMethod
from tt_payments.idempotency import IdempotencyScope, StoredAnswer


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
        balances: BalancesDep,
    ) -> VenueBalanceResponse:
        balance = await balances.balance(principal_of(request), parse_id(venue_id, "venueId"))
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

    @post(
        "/{venue_id:str}/payout",
        operation_id="requestPayout",
        summary="Pay part of the venue's payable balance out (Idempotency-Key required)",
        opt={"body": PayoutRequestBody},
        status_code=200,
    )
    async def payout(
        self,
        request: Request[object, object, object],
        venue_id: FromPath[str],
        data: JSONBody[PayoutRequestBody],
        idempotency: IdempotencyDep,
        payouts: PayoutsDep,
    ) -> Response[bytes]:
        principal = principal_of(request)
        venue = parse_id(venue_id, "venueId")

        async def handle(scope: IdempotencyScope) -> tuple[int, msgspec.Struct] | StoredAnswer:
            payout = await payouts.request(
                principal, venue, data.amount, instant=data.instant, idempotency_key=scope.key
            )
            standard = payout.method is PayoutMethod.STANDARD
            return 200, PayoutResponse(
                success=payout.status.value != "failed",
                message="Payout initiated" if payout.status.value != "failed" else "Payout failed",
                payout_id=str(payout.id),
                amount=payout.amount.minor,
                fee=payout.fee.minor,
                net=payout.net.minor,
                type=payout.method.value,
                status=payout.status.value,
                estimated_arrival="1-2 business days" if standard else "about 30 minutes",
            )

        return await run_idempotent(request, idempotency, principal, "payout", handle)
