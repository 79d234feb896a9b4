"""Service-to-service routes under /internal, signed with HMAC (tt_payments.auth.internal).

No bearer token here: the signature proves which service calls. It is checked before the
body is decoded, over the raw bytes, so an unsigned request learns nothing about the
body's schema.
"""

from __future__ import annotations

from decimal import Decimal

from litestar import Controller, Request, post
from litestar.params import JSONBody

from tt_api.body import decode_strict_body
from tt_api.controllers.payments import transaction_body
from tt_api.dependencies import PaymentsDep, TaxComplianceDep
from tt_api.schemas.catalog import AddressBody
from tt_api.schemas.fees import exact_number
from tt_api.schemas.internal import PaymentCompleteRequest, PaymentCompleteResponse
from tt_api.schemas.tax import CalculateTaxRequest, CalculateTaxResponse, TaxBreakdownLine
from tt_money.errors import InvalidInputError
from tt_payments.auth.internal import InternalAuthenticator
from tt_tax import Address, InvalidAddressError, TaxLineKind, TaxResult

SERVICE_STATE = "internal_service"


async def verify_signature(request: Request[object, object, object]) -> None:
    """before_request of every internal route: refuse an unsigned or forged request."""
    authenticator = request.app.state["internal_auth"]
    if not isinstance(authenticator, InternalAuthenticator):  # pragma: no cover - create_app
        raise RuntimeError("the internal authenticator is not on the application state")
    service = await authenticator.verify(
        method=request.method,
        path=request.url.path,
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers,
        body=await request.body(),
    )
    request.state[SERVICE_STATE] = service
    await decode_strict_body(request)


class InternalController(Controller):
    path = "/internal"
    tags = ["internal"]
    before_request = verify_signature
    include_in_schema = True

    @post(
        "/payment-complete",
        operation_id="internalPaymentComplete",
        summary="The order service reports the order a completed payment paid for",
        status_code=200,
        opt={"body": PaymentCompleteRequest},
    )
    async def payment_complete(
        self,
        data: JSONBody[PaymentCompleteRequest],
        payments: PaymentsDep,
    ) -> PaymentCompleteResponse:
        record = await payments.link_order(data.payment_id, data.order_id)
        return PaymentCompleteResponse(
            success=True,
            order_id=data.order_id,
            payment_id=record.id,
            transaction=transaction_body(record),
        )

    @post(
        "/calculate-tax",
        operation_id="internalCalculateTax",
        summary="Sales tax on an amount at a venue (by address, or by venueId and tenantId)",
        status_code=200,
        opt={"body": CalculateTaxRequest},
    )
    async def calculate_tax(
        self,
        data: JSONBody[CalculateTaxRequest],
        tax_compliance: TaxComplianceDep,
    ) -> CalculateTaxResponse:
        venue = None
        if data.venue_id is not None:
            if data.tenant_id is None:
                raise InvalidInputError(
                    "Validation failed", details=(("tenantId", "is required with venueId"),)
                )
            venue = (data.tenant_id, data.venue_id)
        result = await tax_compliance.calculate(
            amount_minor=data.amount,
            venue_address=_address(data.venue_address, "venueAddress"),
            venue=venue,
            customer_address=_address(data.customer_address, "customerAddress"),
            on_date=data.transaction_date,
        )
        return tax_response(result)


def _address(body: AddressBody | None, field: str) -> Address | None:
    if body is None:
        return None
    try:
        return Address(
            street=body.street, city=body.city, state=body.state, zip=body.zip, country=body.country
        )
    except InvalidAddressError as error:
        raise error.with_field_prefix(field) from None


def tax_response(result: TaxResult) -> CalculateTaxResponse:
    """The spec's calculate-tax answer; several special levies are shown as one line."""
    breakdown: dict[str, TaxBreakdownLine] = {}
    for kind in TaxLineKind:
        lines = result.lines_of(kind)
        if not lines:
            continue
        breakdown[kind.value] = TaxBreakdownLine(
            name=" + ".join(line.name for line in lines),
            rate=exact_number(sum((line.rate_percent for line in lines), Decimal(0))),
            amount=sum(line.amount.minor for line in lines),
            jurisdiction=" + ".join(line.jurisdiction for line in lines),
        )
    return CalculateTaxResponse(
        taxable_amount=result.taxable_amount.minor,
        state_tax=result.state_tax.minor,
        local_tax=result.local_tax.minor,
        special_tax=result.special_tax.minor,
        total_tax=result.total.minor,
        breakdown=breakdown,
        jurisdiction=result.jurisdiction,
        tax_date=result.on_date,
        tax_source=result.tax_source.value,
    )
