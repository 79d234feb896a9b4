"""The Stripe adapter's flows over HTTP, against localstripe started on a free port.

localstripe (PyPI) runs in a subprocess through ``localstripe_server.py``, which adds
Stripe's Idempotency-Key semantics and today's PaymentIntent parameter names to it (see
that module). Not covered, because localstripe cannot show it: Stripe's own decline codes
(``generic_decline``, ``insufficient_funds``: localstripe only says ``card_declined``, and
declines 4000000000000002/...9995 only when attaching to a customer), the refusal of an
over-refund (localstripe accepts it), ``request_three_d_secure`` (accepted, ignored),
pending or failed refunds, and the ``processing`` status.

The last tests point the adapter at servers that fail on purpose (nothing listening, no
answer, canned error statuses) to pin down which failures mean "outcome unknown".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs
import httpx
import pytest
import stripe

from tests.integration.conftest import API_KEY, free_port
from tt_money import USD, Money
from tt_payments.providers.ports import PaymentProvider
from tt_payments.providers.stripe.charges import StripeProvider
from tt_payments.providers.types import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    ProviderRejectedError,
    ProviderUnavailableError,
    RefundRequest,
    RefundStatus,
)

# The SDK's HTTPXClient posts its form body as ``data=`` bytes, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

DECLINED_AT_CHARGE = "4000000000000341"  # localstripe declines this one when charged
THREE_D_SECURE = "4000002500003155"


@pytest.fixture
async def provider(localstripe_url: str) -> AsyncIterator[StripeProvider]:
    # A generous timeout: every call here is meant to be answered (it costs nothing then).
    provider = StripeProvider(API_KEY, api_base=localstripe_url, timeout=30, max_network_retries=0)
    yield provider
    await provider.aclose()


@pytest.fixture
async def stripe_client(localstripe_url: str) -> AsyncIterator[stripe.StripeClient]:
    """The SDK itself, for what a test arranges or checks behind the adapter's back."""
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient(
        API_KEY, base_addresses={"api": localstripe_url}, http_client=http_client
    )
    await http_client.close_async()  # type: ignore[no-untyped-call]  # SDK: unannotated


async def card(stripe_client: stripe.StripeClient, number: str) -> str:
    """A PaymentMethod for a test card number, as Stripe.js would create it."""
    method = await stripe_client.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    return method.id


def charge_request(
    payment_method_id: str = "pm_card_visa",
    *,
    minor: int = 1234,
    key: str | None = None,
    order: str = "order-1",
) -> ChargeRequest:
    return ChargeRequest(
        amount=Money(minor, USD),
        payment_method_id=payment_method_id,
        idempotency_key=key or str(uuid.uuid4()),
        description=f"TicketToken {order}",
        metadata={"order": order},
    )


def refund_request(charge: Charge, minor: int, *, key: str | None = None) -> RefundRequest:
    return RefundRequest(
        provider_payment_id=charge.provider_payment_id,
        amount=Money(minor, USD),
        idempotency_key=key or str(uuid.uuid4()),
        reason="event cancelled",
    )


async def authenticate(url: str, charge: Charge, *, succeed: bool) -> None:
    """The buyer finishes 3-D Secure (localstripe's stand-in for Stripe.js)."""
    assert charge.client_secret is not None
    async with httpx.AsyncClient(auth=(API_KEY, "")) as client:
        response = await client.post(
            f"{url}/v1/payment_intents/{charge.provider_payment_id}/_authenticate",
            data={"client_secret": charge.client_secret, "success": str(succeed).lower()},
        )
    response.raise_for_status()


def test_it_implements_the_payment_provider_port() -> None:
    port: PaymentProvider = StripeProvider(API_KEY)
    assert port.name == "stripe"


async def test_a_good_card_is_charged_and_the_amount_comes_back(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    order = str(uuid.uuid4())

    charge = await provider.charge(charge_request("pm_card_visa", minor=1234, order=order))

    assert charge.status is ChargeStatus.SUCCEEDED
    assert charge.provider == "stripe"
    assert charge.provider_payment_id.startswith("pi_")
    assert charge.amount == Money(1234, USD)
    assert charge.client_secret is None
    assert await provider.retrieve(charge.provider_payment_id) == charge
    intent = await stripe_client.v1.payment_intents.retrieve_async(charge.provider_payment_id)
    assert (intent.amount, intent.currency, intent.metadata["order"]) == (1234, "usd", order)


@pytest.mark.parametrize("from_number", [False, True], ids=["test-pm-id", "card-number"])
async def test_a_card_declined_when_charged_is_a_declined_charge_with_its_code(
    provider: StripeProvider, stripe_client: stripe.StripeClient, from_number: bool
) -> None:
    method = (
        await card(stripe_client, DECLINED_AT_CHARGE)
        if from_number
        else "pm_card_chargeCustomerFail"
    )

    charge = await provider.charge(charge_request(method, minor=500))

    assert charge.status is ChargeStatus.DECLINED
    assert charge.decline_code == "card_declined"
    assert charge.failure_message == "Your card was declined."
    assert charge.amount == Money(500, USD)
    assert charge.provider_payment_id.startswith("pi_")
    retrieved = await provider.retrieve(charge.provider_payment_id)
    assert (retrieved.status, retrieved.decline_code) == (ChargeStatus.DECLINED, "card_declined")


async def test_the_same_key_replays_the_payment_intent_without_charging_again(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    order = str(uuid.uuid4())
    request = charge_request(order=order)

    first = await provider.charge(request)
    again = await provider.charge(request)

    assert again.provider_payment_id == first.provider_payment_id
    intents = await stripe_client.v1.payment_intents.list_async({"limit": 100})
    assert [intent.id for intent in intents.data if intent.metadata["order"] == order] == [
        first.provider_payment_id
    ]


async def test_the_same_key_with_another_amount_is_rejected(provider: StripeProvider) -> None:
    key = str(uuid.uuid4())
    await provider.charge(charge_request(minor=1000, key=key))

    with pytest.raises(ProviderRejectedError, match="IdempotencyError"):
        await provider.charge(charge_request(minor=1001, key=key))


async def test_a_payment_is_refunded_in_part_then_in_full(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    charge = await provider.charge(charge_request(minor=1000))

    part = await provider.refund(refund_request(charge, 300))
    rest = await provider.refund(refund_request(charge, 700))

    assert (part.status, part.amount) == (RefundStatus.SUCCEEDED, Money(300, USD))
    assert (rest.status, rest.amount) == (RefundStatus.SUCCEEDED, Money(700, USD))
    assert part.provider_refund_id.startswith("re_")
    assert part.provider_refund_id != rest.provider_refund_id
    assert part.provider_payment_id == charge.provider_payment_id
    assert await provider.retrieve_refund(part.provider_refund_id) == part
    raw = await stripe_client.v1.refunds.retrieve_async(part.provider_refund_id)
    assert raw.metadata is not None
    assert raw.metadata["reason"] == "event cancelled"


async def test_a_refund_replay_returns_the_same_refund(provider: StripeProvider) -> None:
    charge = await provider.charge(charge_request(minor=1000))
    request = refund_request(charge, 1000)

    first = await provider.refund(request)
    again = await provider.refund(request)

    assert again == first


async def test_refunding_a_declined_payment_is_rejected(provider: StripeProvider) -> None:
    declined = await provider.charge(charge_request("pm_card_chargeCustomerFail"))

    with pytest.raises(ProviderRejectedError, match="Cannot refund a failed payment"):
        await provider.refund(refund_request(declined, 100))


async def test_a_three_d_secure_card_waits_for_the_buyer_then_succeeds(
    provider: StripeProvider, stripe_client: stripe.StripeClient, localstripe_url: str
) -> None:
    pending = await provider.charge(charge_request(await card(stripe_client, THREE_D_SECURE)))
    assert pending.status is ChargeStatus.REQUIRES_ACTION
    assert pending.client_secret is not None
    assert pending.client_secret.startswith(pending.provider_payment_id)

    await authenticate(localstripe_url, pending, succeed=True)

    finished = await provider.retrieve(pending.provider_payment_id)
    assert finished.status is ChargeStatus.SUCCEEDED
    assert finished.client_secret is None


async def test_failed_authentication_leaves_the_payment_declined(
    provider: StripeProvider, stripe_client: stripe.StripeClient, localstripe_url: str
) -> None:
    pending = await provider.charge(charge_request(await card(stripe_client, THREE_D_SECURE)))

    await authenticate(localstripe_url, pending, succeed=False)

    failed = await provider.retrieve(pending.provider_payment_id)
    assert failed.status is ChargeStatus.DECLINED
    assert failed.decline_code == "payment_intent_authentication_failure"


async def test_an_unknown_payment_intent_is_rejected(provider: StripeProvider) -> None:
    with pytest.raises(ProviderRejectedError, match="InvalidRequestError"):
        await provider.retrieve("pi_doesnotexist")


async def test_an_unknown_payment_method_is_rejected(provider: StripeProvider) -> None:
    with pytest.raises(ProviderRejectedError):
        await provider.charge(charge_request("pm_doesnotexist"))


async def test_a_wrong_api_key_is_rejected(localstripe_url: str) -> None:
    provider = StripeProvider("not-a-key", api_base=localstripe_url, max_network_retries=0)
    try:
        with pytest.raises(ProviderRejectedError, match="AuthenticationError"):
            await provider.charge(charge_request())
    finally:
        await provider.aclose()


# Failures localstripe does not produce: servers that misbehave on purpose.


@asynccontextmanager
async def http_server(status: int | None) -> AsyncIterator[str]:
    """A server answering every request with ``status`` and a Stripe error body.

    ``None``: it reads the request and never answers, however long the client waits: the
    handler waits until the ``async with`` ends. No handler outlives the block.
    """
    released = asyncio.Event()
    handlers: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers[task] = writer
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            if status is None:
                await released.wait()
                return
            body = b'{"error": {"type": "api_error", "message": "canned failure"}}'
            writer.write(
                f"HTTP/1.1 {status} Canned\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client left, or the block ended, before a whole request came
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        released.set()
        for writer in handlers.values():
            writer.close()  # ends a read of a request its client never finished
        await asyncio.gather(*handlers)
        await server.wait_closed()


async def test_nothing_listening_means_the_outcome_is_unknown() -> None:
    provider = StripeProvider(
        API_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    try:
        with pytest.raises(ProviderUnavailableError, match="APIConnectionError"):
            await provider.charge(charge_request())
    finally:
        await provider.aclose()


async def test_no_answer_within_the_timeout_means_the_outcome_is_unknown() -> None:
    async with http_server(None) as url:
        provider = StripeProvider(API_KEY, api_base=url, timeout=0.3, max_network_retries=0)
        try:
            with pytest.raises(ProviderUnavailableError, match="APIConnectionError"):
                await provider.charge(charge_request())
        finally:
            await provider.aclose()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
        (429, ProviderUnavailableError),
        (409, ProviderUnavailableError),  # a request with the same key is still running
        (400, ProviderRejectedError),
        (404, ProviderRejectedError),
        (401, ProviderRejectedError),
        (403, ProviderRejectedError),
    ],
)
async def test_error_statuses_are_sorted_into_unknown_outcome_or_refusal(
    status: int, error: type[Exception]
) -> None:
    async with http_server(status) as url:
        provider = StripeProvider(API_KEY, api_base=url, max_network_retries=0)
        try:
            with pytest.raises(error):
                await provider.charge(charge_request())
            with pytest.raises(error):
                await provider.refund(
                    RefundRequest(
                        provider_payment_id="pi_x", amount=Money(1, USD), idempotency_key="k"
                    )
                )
        finally:
            await provider.aclose()


async def test_payments_and_refunds_are_listed_for_reconciliation(
    provider: StripeProvider,
) -> None:
    # Given a payment with our metadata, and a refund of part of it
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    order = f"order-{uuid.uuid4().hex[:8]}"
    charge = await provider.charge(charge_request(minor=2500, order=order))
    refund = await provider.refund(
        attrs.evolve(refund_request(charge, 500), metadata={"refundId": "r-1"})
    )
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    # When reconciliation lists the window
    charges = await provider.list_charges(since, until)
    refunds = await provider.list_refunds(since, until)
    # Then both are there, as they stand, with our metadata
    [listed] = [
        item for item in charges if item.charge.provider_payment_id == charge.provider_payment_id
    ]
    assert listed.charge.status is ChargeStatus.SUCCEEDED
    assert listed.charge.amount == Money(2500, USD)
    assert listed.metadata["order"] == order
    [listed_refund] = [
        item for item in refunds if item.refund.provider_refund_id == refund.provider_refund_id
    ]
    assert listed_refund.refund.amount == Money(500, USD)
    assert listed_refund.metadata["refundId"] == "r-1"
    # And a window before them lists neither
    earlier = await provider.list_charges(since - dt.timedelta(hours=1), since)
    assert charge.provider_payment_id not in {item.charge.provider_payment_id for item in earlier}
