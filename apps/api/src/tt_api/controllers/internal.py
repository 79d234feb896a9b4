"""Service-to-service routes under /internal, signed with HMAC (tt_payments.internal_auth).

No bearer token here: the signature proves which service calls. It is checked before the
body is decoded, over the raw bytes, so an unsigned request learns nothing about the
body's schema.
"""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import JSONBody

from tt_api.body import decode_strict_body
from tt_api.controllers.payments import transaction_body
from tt_api.dependencies import ContainerDep
from tt_api.schemas.internal import PaymentCompleteRequest, PaymentCompleteResponse
from tt_payments.bootstrap import Container

SERVICE_STATE = "internal_service"


async def verify_signature(request: Request[object, object, object]) -> None:
    """before_request of every internal route: refuse an unsigned or forged request."""
    container = request.app.state["container"]
    if not isinstance(container, Container):  # pragma: no cover - set by create_app
        raise RuntimeError("the container is not on the application state")
    service = await container.internal_auth.verify(
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
        self, data: JSONBody[PaymentCompleteRequest], container: ContainerDep
    ) -> PaymentCompleteResponse:
        record = await container.payments.link_order(data.payment_id, data.order_id)
        return PaymentCompleteResponse(
            success=True,
            order_id=data.order_id,
            payment_id=record.id,
            transaction=transaction_body(record),
        )
