"""The service configured with ``TT_TICKET_SERVICE_URL``: payments price and hold through
the ticket service over HTTP, and the ticket service, subscribed to the payment's events,
confirms and releases the holds they name."""

from __future__ import annotations

import uuid

import attrs
import httpx
import sqlalchemy as sa

from tests.conftest import GENERAL_ADMISSION, AuthHeaders, general_admission, service_with
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tests.integration.ticket_service_server import SECRET, serving
from tt_payments import Container, Overrides, Settings
from tt_payments.auth.identity import Principal, Role
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.tickets import ticket_holds
from tt_payments.providers.simulated import SimulatedProvider

EVENTS = ("payment.completed", "payment.failed", "payment.cancelled", "refund.completed")


def bearer(core: Container, tenant: uuid.UUID, role: Role) -> dict[str, str]:
    token = core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=role)
    return {"Authorization": f"Bearer {token}"}


async def deliver_all(core: Container) -> None:
    for _ in range(20):
        if not (await core.deliveries.dispatch_once()).claimed:
            return
    raise AssertionError("deliveries still due")


async def hold_status(core: Container, tenant: uuid.UUID, hold: uuid.UUID) -> str:
    async with core.infrastructure.engine.connect() as connection:
        query = sa.select(ticket_holds.c.status).where(
            ticket_holds.c.tenant_id == tenant, ticket_holds.c.id == hold
        )
        return str((await connection.execute(query)).scalar_one())


async def test_payments_price_and_hold_through_the_ticket_service_and_its_events_settle_them(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    # Given an event whose ticket type the ticket service (a local double) serves
    venue, event = await venue_and_event(client, auth, capacity=5)
    ticket_type = uuid.UUID(general_admission(event))
    async with serving(container.tickets) as (double, url):
        remote = attrs.evolve(settings, ticket_service_url=url, ticket_service_secret=SECRET)
        processor = SimulatedProvider()
        async with service_with(remote, Overrides(payment_provider=processor)) as (core, http):
            admin = Principal(user_id=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
            await core.subscribers.add(
                admin,
                url=f"{url}/api/v1/webhooks/payment-events",
                event_types=EVENTS,
                secret=SECRET,
            )
            buyer = bearer(core, tenant, Role.USER)
            # When a buyer sends a 1-cent price: refused, nothing charged
            order = body(venue, event)
            order["tickets"] = [{"ticketTypeId": str(ticket_type), "quantity": 2, "price": 1}]
            refused = await http.post(PROCESS, json=order, headers=keyed(buyer))
            assert refused.status_code == 409, refused.text
            assert refused.json()["code"] == "PRICE_CHANGED"
            assert processor.charges_created == 0
            # When the buyer pays the ticket service's price
            paid = await http.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
            assert paid.status_code == 200, paid.text
            assert processor.charges_created == 1
            payment = uuid.UUID(paid.json()["transaction"]["id"])
            hold = uuid.uuid5(payment, "hold:0")
            # Then the ticket service holds the two tickets under the payment's hold id
            assert double.calls.count("POST /api/v1/holds") == 1
            assert await hold_status(core, tenant, hold) == "held"
            async with core.infrastructure.engine.connect() as connection:
                data = (
                    await connection.execute(
                        sa.select(outbox.c.payload).where(
                            outbox.c.aggregate_id == payment,
                            outbox.c.event_type == "payment.completed",
                        )
                    )
                ).scalar_one()
            assert [line["holdId"] for line in data["tickets"]] == [str(hold)]
            # And once its event is delivered, the ticket service has sold them
            await deliver_all(core)
            assert double.events == ["payment.completed"]
            assert await hold_status(core, tenant, hold) == "confirmed"
            # And a full refund's event puts them back on sale
            refund = await http.post(
                f"/api/v1/payments/transaction/{payment}/refund",
                json={"reason": "cannot come"},
                headers=keyed(bearer(core, tenant, Role.ADMIN)),
            )
            assert refund.status_code == 200, refund.text
            await deliver_all(core)
            assert double.events == ["payment.completed", "refund.completed"]
            assert await hold_status(core, tenant, hold) == "released"
            quoted = await container.tickets.quote(tenant, uuid.UUID(event), [ticket_type])
            assert quoted[ticket_type].available == 5
            # And an admin cannot put ticket types here: they live in the ticket service
            put = await http.put(
                f"/api/v1/admin/events/{event}/ticket-types/{uuid.uuid4()}",
                json=GENERAL_ADMISSION,
                headers=bearer(core, tenant, Role.ADMIN),
            )
            assert put.status_code == 409, put.text
            assert put.json()["code"] == "TICKET_TYPES_MANAGED_ELSEWHERE"
            # And when the ticket service fails, the payment is 503 and nothing is charged
            double.fault = "500"
            down = await http.post(PROCESS, json=body(venue, event), headers=keyed(buyer))
            assert down.status_code == 503, down.text
            assert down.json()["code"] == "TICKET_SERVICE_UNAVAILABLE"
            assert "Retry-After" in down.headers
            assert processor.charges_created == 1
