"""Reconciliation with the Stripe adapter against localstripe (Stripe's API, over HTTP).

A service whose processor is Stripe (here localstripe) takes real PaymentIntents; then
differences are injected behind its back, through the Stripe API itself: a charge missing
locally, a second capture of one payment, an amount mismatch, a refund made in the
dashboard, a payment stuck processing
whose buyer finished 3-D Secure long ago. Each is found and fixed or flagged; clean data
gives no finding.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import attrs
import httpx
import pytest
import sqlalchemy as sa
import stripe

from tests.conftest import GENERAL_ADMISSION, general_admission
from tests.integration.conftest import API_KEY
from tt_api.app import create_app
from tt_payments import Container, Settings, bootstrap
from tt_payments.auth.identity import Role
from tt_payments.db import migrate
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.reconciliation.service import ReconciliationReport

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
PROCESS = "/api/v1/payments/process"


@pytest.fixture(scope="module")
async def core(
    settings: Settings, fresh_database: Callable[[], str], localstripe_url: str
) -> AsyncIterator[Container]:
    url = fresh_database()
    migrate.upgrade(url)
    container = bootstrap(
        attrs.evolve(
            settings,
            database_url=url,
            processor="stripe",
            stripe_secret_key=API_KEY,
            stripe_api_base=localstripe_url,
        )
    )
    yield container
    await container.aclose()


@pytest.fixture(scope="module")
async def http(core: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(core))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def sdk(localstripe_url: str) -> AsyncIterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient(
        API_KEY, base_addresses={"api": localstripe_url}, http_client=http_client
    )
    await http_client.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
async def tenant_venue_event(
    core: Container, http: httpx.AsyncClient
) -> tuple[uuid.UUID, str, str]:
    tenant, venue, event = uuid.uuid4(), str(uuid.uuid4()), str(uuid.uuid4())
    admin = {
        "Authorization": "Bearer "
        + core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
    }
    for path, body in (
        (
            f"/api/v1/admin/venues/{venue}",
            {"name": "Ryman", "address": {"city": "Nashville", "state": "TN", "zip": "37203"}},
        ),
        (
            f"/api/v1/admin/events/{event}",
            {"venueId": venue, "name": "Show", "startsAt": "2026-12-31T20:00:00Z"},
        ),
        (
            f"/api/v1/admin/events/{event}/ticket-types/{general_admission(event)}",
            GENERAL_ADMISSION,
        ),
    ):
        response = await http.put(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
    return tenant, venue, event


async def pay(
    core: Container,
    http: httpx.AsyncClient,
    shop: tuple[uuid.UUID, str, str],
    method: str = "pm_card_visa",
    expect: int = 200,
) -> dict[str, object]:
    tenant, venue, event = shop
    token = core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=Role.USER)
    response = await http.post(
        PROCESS,
        json={
            "venueId": venue,
            "eventId": event,
            "tickets": [{"ticketTypeId": general_admission(event), "quantity": 1, "price": 5000}],
            "paymentMethod": {"type": "card", "paymentMethodId": method},
        },
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == expect, response.text
    transaction: dict[str, object] = response.json()["transaction"]
    return transaction


async def reconcile(core: Container) -> ReconciliationReport:
    report = await core.reconciliation.run()
    assert report is not None
    return report


def new(report: ReconciliationReport) -> list[tuple[str, str]]:
    return [(f["kind"], f["object"]) for f in report.findings if f["new"] == "true"]


async def status(core: Container, payment: object) -> str:
    async with core.infrastructure.engine.connect() as connection:
        return str(
            (
                await connection.execute(
                    sa.select(payment_transactions.c.status).where(
                        payment_transactions.c.id == uuid.UUID(str(payment))
                    )
                )
            ).scalar_one()
        )


async def test_clean_stripe_payments_give_no_finding(
    core: Container, http: httpx.AsyncClient, tenant_venue_event: tuple[uuid.UUID, str, str]
) -> None:
    await reconcile(core)
    for _ in range(2):
        await pay(core, http, tenant_venue_event)
    report = await reconcile(core)
    assert report.charges_checked >= 2
    assert new(report) == []
    assert report.fixes == []


async def test_injected_differences_are_each_found_and_handled(
    core: Container,
    http: httpx.AsyncClient,
    sdk: stripe.StripeClient,
    tenant_venue_event: tuple[uuid.UUID, str, str],
) -> None:
    tenant = tenant_venue_event[0]
    paid = await pay(core, http, tenant_venue_event)
    # 1. A charge missing locally: created in Stripe with no payment of ours
    stray = await sdk.v1.payment_intents.create_async(
        {
            "amount": 4200,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"tenantId": str(tenant), "transactionId": str(uuid.uuid4())},
        }
    )
    # 2. A second capture: another Stripe payment claiming to be one of ours
    other = await sdk.v1.payment_intents.create_async(
        {
            "amount": 1,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"tenantId": str(tenant), "transactionId": str(paid["id"])},
        }
    )
    # 3. An amount mismatch: our record of a payment says other than Stripe does
    mismatched = await pay(core, http, tenant_venue_event)
    async with core.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(payment_transactions)
            .where(payment_transactions.c.id == uuid.UUID(str(mismatched["id"])))
            .values(total_amount=payment_transactions.c.total_amount + 1)
        )
    # 4. A refund made in the dashboard
    dashboard = await sdk.v1.refunds.create_async(
        {"payment_intent": str(paid["stripePaymentIntentId"]), "amount": 700}
    )
    # 5. A payment stuck processing: the buyer finished 3-D Secure long ago and we never
    #    heard
    method = await sdk.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    pending = await pay(core, http, tenant_venue_event, method.id, 202)
    intent = await sdk.v1.payment_intents.retrieve_async(str(pending["stripePaymentIntentId"]))
    async with httpx.AsyncClient(auth=(API_KEY, "")) as client:
        done = await client.post(
            f"{core.settings.stripe_api_base}/v1/payment_intents/{intent.id}/_authenticate",
            data={"client_secret": intent.client_secret, "success": "true"},
        )
    done.raise_for_status()
    async with core.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.update(payment_transactions)
            .where(payment_transactions.c.id == uuid.UUID(str(pending["id"])))
            # We never heard how it ended: processing, for 16 minutes
            .values(
                status="processing",
                created_at=sa.func.now() - sa.text("interval '16 minutes'"),
            )
        )

    report = await reconcile(core)

    assert ("charge_missing_locally", stray.id) in new(report)
    assert ("duplicate_charge", other.id) in new(report)
    assert ("amount_mismatch", str(mismatched["stripePaymentIntentId"])) in new(report)
    assert any(dashboard.id in fix for fix in report.fixes), report.fixes
    assert await status(core, paid["id"]) == "partially_refunded"
    assert report.stale_settled >= 1
    assert await status(core, pending["id"]) == "completed"
    # A second run finds the same differences on file and fixes nothing again
    again = await reconcile(core)
    assert new(again) == []
    assert again.fixes == []
    assert (await core.ledger.verify()).ok
