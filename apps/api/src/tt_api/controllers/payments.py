"""Payment routes. This issue: POST /api/v1/payments/calculate-fees."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from tt_api.auth import principal_of
from tt_api.idempotency import check_optional_idempotency_key
from tt_api.schemas.fees import (
    CalculateFeesRequest,
    CalculateFeesResponse,
    FeesBody,
    GasEstimateBody,
    TaxLineBody,
)
from tt_money import FeeLineKind
from tt_payments import Container
from tt_payments.use_cases.fees import FeeQuote


class PaymentsController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]

    @post(
        "/calculate-fees",
        operation_id="calculateFees",
        summary="The fee breakdown a buyer would pay for tickets at a venue",
        status_code=200,
        opt={"body": CalculateFeesRequest},
    )
    async def calculate_fees(
        self,
        request: Request[object, object, object],
        data: JSONBody[CalculateFeesRequest],
        container: NamedDependency[Container],
    ) -> CalculateFeesResponse:
        check_optional_idempotency_key(request)
        quote = await container.fees.calculate(
            principal_of(request),
            venue_id=data.venue_id,
            amount_minor=data.amount,
            ticket_count=data.ticket_count,
            on_date=data.transaction_date,
        )
        return _fee_response(quote)


def _number(value: Decimal) -> msgspec.Raw:
    return msgspec.Raw(format(value.normalize(), "f").encode())


def _fee_response(quote: FeeQuote) -> CalculateFeesResponse:
    breakdown = quote.breakdown
    total = breakdown.total.minor
    return CalculateFeesResponse(
        fees=FeesBody(
            ticket_price=breakdown.amount_of(FeeLineKind.TICKET_PRICE).minor,
            platform_fee=breakdown.amount_of(FeeLineKind.PLATFORM_FEE).minor,
            gas_estimate=breakdown.amount_of(FeeLineKind.GAS_ESTIMATE).minor,
            state_tax=breakdown.amount_of(FeeLineKind.STATE_TAX).minor,
            local_tax=breakdown.amount_of(FeeLineKind.LOCAL_TAX).minor,
            special_tax=breakdown.amount_of(FeeLineKind.SPECIAL_TAX).minor,
            total=total,
        ),
        gas_estimates={
            gas.blockchain.value: GasEstimateBody(
                blockchain=gas.blockchain.value,
                estimated_fee=_number(gas.estimated_fee),
                fee_in_usd=_number(gas.fee_usd),
                congestion_level=gas.congestion.value,
            )
            for gas in quote.gas_quotes
        },
        recommended_blockchain=quote.recommended_blockchain.value,
        total=total,
        currency=breakdown.currency.code,
        tier=breakdown.tier.value,
        platform_fee_bps=breakdown.platform_fee_bps,
        tax_date=quote.tax.on_date,
        tax_breakdown={
            line.kind.value: TaxLineBody(
                name=line.name, rate=_number(line.rate_percent), amount=line.amount.minor
            )
            for line in quote.tax.lines
        },
    )
