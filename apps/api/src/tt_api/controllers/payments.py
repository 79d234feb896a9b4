"""Payment routes. This issue: POST /api/v1/payments/calculate-fees."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody

from tt_api.auth import principal_of
from tt_api.dependencies import FeesDep, IdempotencyDep, PaymentsDep, RefundsDep
from tt_api.errors import ErrorBody, domain_error
from tt_api.idempotency import (
    check_optional_idempotency_key,
    require_idempotency_key,
    run_idempotent,
)
from tt_api.params import parse_id
from tt_api.schemas.fees import (
    CalculateFeesRequest,
    CalculateFeesResponse,
    FeesBody,
    GasEstimateBody,
    PricedLineBody,
    TaxLineBody,
    exact_number,
)
from tt_api.schemas.payments import (
    NextActionBody,
    NftStatusBody,
    ProcessedTransactionBody,
    ProcessPaymentRequest,
    ProcessPaymentResponse,
    RefundBody,
    RefundResponse,
    TransactionBody,
    TransactionMetadataBody,
    TransactionResponse,
)
from tt_api.schemas.payments import RefundRequest as RefundRequestBody
from tt_ledger import PaymentStatus, RefundStatus
from tt_money import FeeLineKind, Money, currency_for
from tt_money.errors import InvalidInputError, TicketTokenError
from tt_payments.idempotency import IdempotencyScope, StoredAnswer
from tt_payments.payments import (
    PaymentFailedError,
    PaymentRecord,
    PaymentRequest,
    TicketLine,
    address_fingerprint,
)
from tt_payments.payments.fees import FeeQuote
from tt_payments.payments.service import AnswerInTransaction, PaymentOutcome
from tt_payments.tickets.pricing import AskedLine


class PaymentsController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]

    @post(
        "/process",
        operation_id="processPayment",
        summary="Charge the buyer for tickets (Idempotency-Key required)",
        status_code=200,
        opt={"body": ProcessPaymentRequest, "idempotent": "process_payment"},
        responses={
            202: ResponseSpec(ProcessPaymentResponse, description="Outcome not known yet"),
            402: ResponseSpec(ErrorBody, description="PAYMENT_FAILED: the card was declined"),
        },
    )
    async def process_payment(
        self,
        request: Request[object, object, object],
        data: JSONBody[ProcessPaymentRequest],
        idempotency: IdempotencyDep,
        payments: PaymentsDep,
    ) -> Response[bytes]:
        principal = principal_of(request)
        payment = PaymentRequest(
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            venue_id=data.venue_id,
            event_id=data.event_id,
            idempotency_key=require_idempotency_key(request),
            tickets=tuple(
                TicketLine(
                    ticket_type_id=line.ticket_type_id,
                    quantity=line.quantity,
                    price=Money(line.price, currency_for(data.currency)),
                    seat_numbers=tuple(line.seat_numbers),
                )
                for line in data.tickets
            ),
            payment_method_id=data.payment_method.payment_method_id,
            payment_method_type=data.payment_method.type,
            device_fingerprint=data.device_fingerprint,
            address_fingerprint=None
            if data.billing_address is None
            else address_fingerprint(
                data.billing_address.line1,
                data.billing_address.line2,
                data.billing_address.city,
                data.billing_address.state,
                data.billing_address.postal_code,
                data.billing_address.country,
            ),
        )

        def answer_for(outcome: PaymentOutcome) -> StoredAnswer | None:
            """The response, rendered here and kept with the payment's final commit; a
            202 (the processor has not decided) is not kept: a retry asks again."""
            try:
                status, body = _process_answer(outcome)
            except TicketTokenError as error:
                status, body = domain_error(request, error)
            if status == 202:
                return None
            return StoredAnswer(status=status, body=msgspec.json.encode(body))

        async def handle(scope: IdempotencyScope) -> tuple[int, msgspec.Struct] | StoredAnswer:
            outcome = await payments.process(
                principal,
                payment,
                ip_address=request.client.host if request.client else None,
                access_token=request.headers.get("x-access-token"),
                session_data=data.session_data,
                answer=AnswerInTransaction(scope=scope, answer_for=answer_for),
            )
            if outcome.answer is not None:
                return outcome.answer
            return _process_answer(outcome)

        return await run_idempotent(request, idempotency, principal, "process_payment", handle)

    @get(
        "/transaction/{transaction_id:str}",
        operation_id="getTransaction",
        summary="A payment's status, for its buyer, an admin or the venue's manager",
    )
    async def get_transaction(
        self,
        request: Request[object, object, object],
        transaction_id: FromPath[str],
        payments: PaymentsDep,
    ) -> TransactionResponse:
        record = await payments.visible(
            principal_of(request), parse_id(transaction_id, "transactionId")
        )
        return TransactionResponse(
            transaction=transaction_body(record),
            nft_status=NftStatusBody(
                job_id=None if record.mint_job_id is None else str(record.mint_job_id),
                status=record.mint_status or "none",
                progress=_MINT_PROGRESS.get(record.mint_status or "none", 0),
                transaction_hash=record.mint_transaction_hash,
            ),
        )

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
        fees: FeesDep,
    ) -> CalculateFeesResponse:
        check_optional_idempotency_key(request)
        if _fee_form(data) == "tickets":
            assert data.event_id is not None  # _fee_form checked both
            assert data.tickets is not None
            quote, priced = await fees.calculate_for_tickets(
                principal_of(request),
                venue_id=data.venue_id,
                event_id=data.event_id,
                lines=[
                    AskedLine(ticket_type_id=line.ticket_type_id, quantity=line.quantity)
                    for line in data.tickets
                ],
                on_date=data.transaction_date,
            )
            return msgspec.structs.replace(
                _fee_response(quote),
                tickets=[
                    PricedLineBody(
                        ticket_type_id=str(line.ticket_type.id),
                        name=line.ticket_type.name,
                        quantity=line.quantity,
                        price=line.ticket_type.price.minor,
                        subtotal=line.subtotal.minor,
                    )
                    for line in priced
                ],
            )
        assert data.amount is not None  # _fee_form checked both
        assert data.ticket_count is not None
        quote = await fees.calculate(
            principal_of(request),
            venue_id=data.venue_id,
            amount_minor=data.amount,
            ticket_count=data.ticket_count,
            on_date=data.transaction_date,
        )
        return _fee_response(quote)

    @post(
        "/transaction/{transaction_id:str}/refund",
        operation_id="refundTransaction",
        summary="Refund all or part of a payment (admin or the venue's manager)",
        status_code=200,
        opt={"body": RefundRequestBody, "idempotent": "refund_payment"},
        responses={
            202: ResponseSpec(RefundResponse, description="The processor has not answered yet")
        },
    )
    async def refund_transaction(
        self,
        request: Request[object, object, object],
        transaction_id: FromPath[str],
        data: JSONBody[RefundRequestBody],
        idempotency: IdempotencyDep,
        refunds: RefundsDep,
    ) -> Response[bytes]:
        principal = principal_of(request)
        payment_id = parse_id(transaction_id, "transactionId")

        async def handle(scope: IdempotencyScope) -> tuple[int, msgspec.Struct]:
            refund = await refunds.refund(
                principal,
                payment_id,
                amount_minor=data.amount,
                reason=data.reason,
                idempotency_key=require_idempotency_key(request),
            )
            body = RefundResponse(
                success=refund.status is RefundStatus.COMPLETED,
                refund=RefundBody(
                    id=refund.id, amount=refund.amount.minor, status=refund.status.value
                ),
            )
            return (200 if refund.settled else 202), body

        return await run_idempotent(request, idempotency, principal, "refund_payment", handle)


_MINT_PROGRESS = {"queued": 0, "processing": 50, "completed": 100}


def transaction_body(record: PaymentRecord) -> TransactionBody:
    """A payment as GET /transaction/{id} and the internal routes show it."""
    return TransactionBody(
        id=record.id,
        user_id=record.user_id,
        venue_id=record.venue_id,
        event_id=record.event_id,
        amount=record.amount.minor,
        total=record.total.minor,
        refunded_amount=record.refunded.minor,
        currency=record.total.currency.code,
        status=record.status.value,
        created_at=record.created_at,
        completed_at=record.completed_at,
        decline_code=record.decline_code,
        order_id=record.order_id,
    )


def _process_answer(outcome: PaymentOutcome) -> tuple[int, msgspec.Struct]:
    record = outcome.record
    if record.status is PaymentStatus.FAILED:
        raise PaymentFailedError(
            record.failure_message or "the card was declined",
            decline_code=record.decline_code,
            transaction_id=record.id,
        )
    if record.status is PaymentStatus.CANCELLED:
        # Final, like a decline: a retry cannot revive it.
        raise PaymentFailedError(
            "the payment was canceled", decline_code="canceled", transaction_id=record.id
        )
    body = ProcessPaymentResponse(
        success=record.status is PaymentStatus.COMPLETED,
        transaction=ProcessedTransactionBody(
            id=record.id,
            amount=record.amount.minor,
            total=record.total.minor,
            currency=record.total.currency.code,
            status=record.status.value,
            stripe_payment_intent_id=record.provider_payment_id,
            metadata=TransactionMetadataBody(
                mint_job_id=None if record.mint_job_id is None else str(record.mint_job_id)
            ),
        ),
        fees=FeesBody(**{_snake(key): value for key, value in outcome.fees.items()}),
        nft_status=record.mint_status or "pending",
    )
    if record.status is PaymentStatus.COMPLETED:
        return 200, body
    if record.status is PaymentStatus.REQUIRES_ACTION and outcome.charge is not None:
        secret = outcome.charge.client_secret or ""
        return 202, msgspec.structs.replace(
            body,
            next_action=NextActionBody(type="use_stripe_sdk", client_secret=secret),
            message="The card needs 3-D Secure: complete it with the client secret",
        )
    return 202, msgspec.structs.replace(
        body,
        message=(
            f"The payment is {record.status.value}; retry with the same Idempotency-Key "
            "or check the transaction later"
        ),
    )


def _snake(camel: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in camel)


def _fee_form(data: CalculateFeesRequest) -> str:
    """Which form calculate-fees was sent: ``amount`` (+ ``ticketCount``) or ``tickets``
    (+ ``eventId``); one of them, whole, or 422 naming what is wrong."""
    forms = {
        "amount": (("amount", data.amount), ("ticketCount", data.ticket_count)),
        "tickets": (("eventId", data.event_id), ("tickets", data.tickets)),
    }
    sent = [form for form, fields in forms.items() if any(v is not None for _, v in fields)]
    if len(sent) != 1:
        raise InvalidInputError(
            "send amount and ticketCount, or eventId and tickets",
            details=(("tickets", "send either amount + ticketCount or eventId + tickets"),),
        )
    missing = [name for name, value in forms[sent[0]] if value is None]
    if missing:
        raise InvalidInputError(
            "Validation failed", details=((missing[0], "is required with the other"),)
        )
    return sent[0]


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
                estimated_fee=exact_number(gas.estimated_fee),
                fee_in_usd=exact_number(gas.fee_usd),
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
                name=line.name, rate=exact_number(line.rate_percent), amount=line.amount.minor
            )
            for line in quote.tax.lines
        },
        tax_source=quote.tax.tax_source.value,
    )
