"""Event subscribers through the admin routes and `tt webhooks subscribers|deliveries`."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.conftest import AuthHeaders
from tests.e2e.processes import cli_env, tt
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Settings
from tt_payments.auth.identity import Role

SUBSCRIBERS = "/api/v1/admin/webhooks/subscribers"
DELIVERIES = "/api/v1/admin/webhooks/deliveries"


async def test_an_admin_adds_lists_and_removes_a_subscriber_and_sees_its_deliveries(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    admin = auth(Role.ADMIN)
    wanted = {"url": "https://tickets.example.test/hooks", "eventTypes": ["payment.completed"]}
    assert (await client.post(SUBSCRIBERS, json=wanted, headers=auth())).status_code == 403
    for bad, field in (
        ({**wanted, "url": "mailto:ops@example.test"}, "url"),
        ({**wanted, "eventTypes": ["PAYMENT"]}, "eventTypes"),
        ({**wanted, "secret": "too-short"}, "secret"),
        ({**wanted, "tenantId": str(uuid.uuid4())}, "tenantId"),
    ):
        refused = await client.post(SUBSCRIBERS, json=bad, headers=admin)
        assert refused.status_code in {400, 422}, refused.text
        assert refused.json()["errors"][0]["field"].startswith(field), refused.json()
    added = await client.post(SUBSCRIBERS, json=wanted, headers=admin)
    assert added.status_code == 201, added.text
    subscriber = added.json()["subscriber"]
    assert len(added.json()["secret"]) >= 32
    listed = (await client.get(SUBSCRIBERS, headers=admin)).json()["subscribers"]
    assert listed == [subscriber]
    assert "secret" not in listed[0]
    # A payment's event is queued for it (delivered by the dispatcher beside the relay)
    venue, event = await venue_and_event(client, auth)
    paid = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert paid.status_code == 200, paid.text
    pending = await client.get(DELIVERIES, params={"status": "pending"}, headers=admin)
    assert pending.status_code == 200, pending.text
    (delivery,) = pending.json()["deliveries"]
    assert (delivery["eventType"], delivery["subscriberId"], delivery["attempts"]) == (
        "payment.completed",
        subscriber["id"],
        0,
    )
    assert delivery["orderingKey"] == paid.json()["transaction"]["id"]
    bad_status = await client.get(DELIVERIES, params={"status": "lost"}, headers=admin)
    assert bad_status.status_code == 422
    redriven = await client.post(f"{DELIVERIES}/redrive", json={}, headers=admin)
    assert redriven.json() == {"redriven": 0}  # nothing is dead
    gone = await client.delete(f"{SUBSCRIBERS}/{subscriber['id']}", headers=admin)
    assert gone.status_code == 204
    again = await client.delete(f"{SUBSCRIBERS}/{subscriber['id']}", headers=admin)
    assert again.status_code == 404
    assert again.json()["code"] == "SUBSCRIBER_NOT_FOUND"
    assert (await client.get(DELIVERIES, headers=admin)).json()["deliveries"] == []


def test_the_cli_adds_lists_and_removes_subscribers(settings: Settings) -> None:
    env, tenant = cli_env(settings), str(uuid.uuid4())
    added = tt(
        env,
        "webhooks",
        "subscribers",
        "add",
        "--tenant",
        tenant,
        "--url",
        "https://tickets.example.test/hooks",
        "--events",
        "payment.completed, refund.completed",
    )
    assert added.returncode == 0, added.stderr
    subscriber = json.loads(added.stdout)
    assert subscriber["eventTypes"] == ["payment.completed", "refund.completed"]
    assert len(subscriber["secret"]) >= 32
    listed = tt(env, "webhooks", "subscribers", "list", "--tenant", tenant)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [subscriber["id"]]
    dead = tt(env, "webhooks", "deliveries", "list", "--tenant", tenant, "--status", "dead")
    assert dead.returncode == 0, dead.stderr
    assert dead.stdout == ""
    redriven = tt(env, "webhooks", "deliveries", "redrive", "--tenant", tenant)
    assert json.loads(redriven.stdout) == {"redriven": 0}
    removed = tt(env, "webhooks", "subscribers", "remove", subscriber["id"], "--tenant", tenant)
    assert removed.returncode == 0, removed.stderr
    missing = tt(env, "webhooks", "subscribers", "remove", subscriber["id"], "--tenant", tenant)
    assert missing.returncode == 1
    assert "SUBSCRIBER_NOT_FOUND" in missing.stderr
