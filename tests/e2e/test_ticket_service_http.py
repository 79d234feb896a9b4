"""The service configured with ``TT_TICKET_SERVICE_URL``: payments price and hold through
the ticket service over HTTP, and its events carry the holds for it to confirm or release."""

from __future__ import annotations

import uuid

import attrs
import httpx
import sqlalchemy as sa

from tests.conftest import GENERAL_ADMISSION, AuthHeaders, general_admission, service_with
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tests.integration.ticket_service_server import SECRET, serving
from tt_payments import Container, Overrides, Settings
from tt_payments.auth.identity import Role
from tt_payments.db.tables.outbox import outbox
from tt_payments.providers.simulated import SimulatedProvider


async def test_a_payment_prices_and_holds_through_the_ticket_service(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    # Given the shared test service's event and ticket type (the double serves them)
    venue, event = await venue_and_event(client, auth, capacity=5)
    async with serving(container.tickets) as (double, url):
        remote = attrs.evolve(settings, ticket_service_url=url, ticket_service_secret=SECRET)
        processor = SimulatedProvider()
        async with service_with(remote, Overrides(payment_provider=processor)) as (core, http):
            headers = {
                "Authorization": "Bearer "
                + core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=Role.USER)
            }
            # When a buyer sends a 1-cent price, then the right one
            order = body(venue, event)
            order["tickets"] = [
                {"ticketTypeId": general_admission(event), "quantity": 2, "price": 1}
            ]
            refused = await http.post(PROCESS, json=order, headers=keyed(headers))
            assert refused.status_code == 409, refused.text
            assert refused.json()["code"] == "PRICE_CHANGED"
            assert processor.charges_created == 0
            paid = await http.post(PROCESS, json=body(venue, event), headers=keyed(headers))
            assert paid.status_code == 200, paid.text
            assert processor.charges_created == 1
            # Then the ticket service was asked, signed, and holds the two tickets
            assert double.calls.count("POST /api/v1/holds") == 1
            quoted = await container.tickets.quote(
                tenant, uuid.UUID(event), [uuid.UUID(general_admission(event))]
            )
            assert quoted[uuid.UUID(general_admission(event))].available == 3
            # And the payment's event names the hold, for the ticket service to confirm
            payment = uuid.UUID(paid.json()["transaction"]["id"])
            async with core.infrastructure.engine.connect() as connection:
                data = (
                    await connection.execute(
                        sa.select(outbox.c.payload).where(
                            outbox.c.aggregate_id == payment,
                            outbox.c.event_type == "payment.completed",
                        )
                    )
                ).scalar_one()
            (line,) = data["tickets"]
            assert line["ticketTypeId"] == general_admission(event)
            assert line["holdId"] == str(uuid.uuid5(payment, "hold:0"))  # what was held
            # And an admin cannot put ticket types here: they live in the ticket service
            put = await http.put(
                f"/api/v1/admin/events/{event}/ticket-types/{uuid.uuid4()}",
                json=GENERAL_ADMISSION,
                headers={
                    "Authorization": "Bearer "
                    + core.tokens.issue(subject=uuid.uuid4(), tenant_id=tenant, role=Role.ADMIN)
                },
            )
            assert put.status_code == 409, put.text
            assert put.json()["code"] == "TICKET_TYPES_MANAGED_ELSEWHERE"
            # And when the ticket service fails, the payment is 503 and nothing is charged
            double.fault = "500"
            down = await http.post(PROCESS, json=body(venue, event), headers=keyed(headers))
            assert down.status_code == 503, down.text
            assert down.json()["code"] == "TICKET_SERVICE_UNAVAILABLE"
            assert "Retry-After" in down.headers
            assert processor.charges_created == 1
