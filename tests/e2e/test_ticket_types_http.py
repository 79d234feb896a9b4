"""PUT /api/v1/admin/events/{eventId}/ticket-types/{id} and GET .../ticket-types."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.conftest import AuthHeaders
from tests.e2e.processes import cli_env, tt
from tests.e2e.test_process_payment_http import venue_and_event
from tt_payments import Settings
from tt_payments.auth.identity import Role


def path(event: str, ticket_type: str | None = None) -> str:
    base = f"/api/v1/admin/events/{event}/ticket-types"
    return base if ticket_type is None else f"{base}/{ticket_type}"


GA = {"name": "General admission", "price": 5000, "currency": "USD", "capacity": 100}


async def test_an_admin_puts_and_lists_an_events_ticket_types(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth, capacity=None)
    admin, ticket = auth(Role.ADMIN), str(uuid.uuid4())
    created = await client.put(path(event, ticket), json=GA, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "ticketType": {
            "id": ticket,
            "eventId": event,
            "name": "General admission",
            "price": 5000,
            "currency": "USD",
            "capacity": 100,
            "held": 0,
            "sold": 0,
            "available": 100,
        },
        "created": True,
    }
    replaced = await client.put(path(event, ticket), json={**GA, "price": 6500}, headers=admin)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["created"] is False
    listed = await client.get(path(event), headers=admin)
    assert [(t["id"], t["price"]) for t in listed.json()["ticketTypes"]] == [(ticket, 6500)]


async def test_bad_ticket_types_are_refused_with_the_error_json(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    _, event = await venue_and_event(client, auth, capacity=None)
    admin, ticket = auth(Role.ADMIN), str(uuid.uuid4())
    buyer = await client.put(path(event, ticket), json=GA, headers=auth())
    assert buyer.status_code == 403
    for bad in (
        {**GA, "price": 50.5},
        {**GA, "price": -1},
        {**GA, "capacity": -1},
        {**GA, "name": ""},
    ):
        refused = await client.put(path(event, ticket), json=bad, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["code"] == "VALIDATION_ERROR"
    euro = await client.put(path(event, ticket), json={**GA, "currency": "EUR"}, headers=admin)
    assert euro.status_code == 422
    assert euro.json()["code"] == "UNSUPPORTED_CURRENCY"
    nowhere = await client.put(path(str(uuid.uuid4()), ticket), json=GA, headers=admin)
    assert nowhere.status_code == 404
    assert nowhere.json()["code"] == "EVENT_NOT_FOUND"
    assert (await client.get(path(event), headers=admin)).json()["ticketTypes"] == []


async def test_the_cli_puts_and_lists_ticket_types(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings, tenant: uuid.UUID
) -> None:
    _, event = await venue_and_event(client, auth, capacity=None)
    env, ticket = cli_env(settings), str(uuid.uuid4())
    put = tt(
        env,
        "events",
        "ticket-types",
        "put",
        ticket,
        "--tenant",
        str(tenant),
        "--event",
        event,
        "--name",
        "Balcony",
        "--price",
        "7500",
        "--capacity",
        "40",
    )
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["available"] == 40
    listed = tt(env, "events", "ticket-types", "list", "--tenant", str(tenant), "--event", event)
    assert [json.loads(line)["price"] for line in listed.stdout.splitlines()] == [7500]
    refused = tt(
        env,
        "events",
        "ticket-types",
        "put",
        ticket,
        "--tenant",
        str(tenant),
        "--event",
        str(uuid.uuid4()),
        "--name",
        "x",
        "--price",
        "1",
        "--capacity",
        "1",
    )
    assert refused.returncode == 1
    assert "EVENT_NOT_FOUND" in refused.stderr
