"""`tt fraud checks / scalpers / policy`: the fraud admin's view from the shell."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from tests.conftest import AuthHeaders
from tests.e2e.processes import cli_env, tt
from tests.e2e.test_fraud_http import headless_session
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Settings


async def test_scalpers_can_be_listed_added_and_removed_from_the_shell(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings, tenant: uuid.UUID
) -> None:
    env = cli_env(settings)
    user = uuid.uuid4()
    empty = tt(env, "fraud", "scalpers", "list", "--tenant", str(tenant))
    assert empty.returncode == 0, empty.stderr
    assert "no known scalpers" in empty.stdout

    added = tt(
        env,
        "fraud", "scalpers", "add", "--tenant", str(tenant), "--user", str(user),
        "--reason", "bulk resale", "--confidence", "0.90", "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    entry = json.loads(added.stdout.strip().splitlines()[-1])
    assert entry["userId"] == str(user)
    assert entry["confidence"] == "0.90"

    venue, event = await venue_and_event(client, auth)
    refused = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth(user=user)))
    assert refused.json()["code"] == "FRAUD_DETECTED"

    removed = tt(env, "fraud", "scalpers", "remove", "--tenant", str(tenant), entry["id"])
    assert removed.returncode == 0, removed.stderr
    again = tt(env, "fraud", "scalpers", "remove", "--tenant", str(tenant), entry["id"])
    assert again.returncode == 1
    assert "no active known scalper" in again.stderr

    nobody = tt(env, "fraud", "scalpers", "add", "--tenant", str(tenant), "--reason", "x")
    assert nobody.returncode == 1
    assert "--user or a --device" in nobody.stderr


async def test_checks_list_decisions_newest_first(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    await client.post(
        PROCESS,
        json={**body(venue, event), "sessionData": headless_session()},
        headers=keyed(auth()),
    )
    env = cli_env(settings)
    listed = tt(env, "fraud", "checks", "--tenant", str(tenant), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [row["decision"] for row in rows] == ["decline", "approve"]
    assert rows[0]["rule"] == "block_bot"
    declines = tt(env, "fraud", "checks", "--tenant", str(tenant), "--decision", "decline")
    assert declines.returncode == 0, declines.stderr
    assert "block_bot" in declines.stdout
    assert "approve" not in declines.stdout


def test_policy_shows_the_defaults_sets_from_files_and_resets(
    settings: Settings, tenant: uuid.UUID, tmp_path: Path
) -> None:
    env = cli_env(settings)
    shown = tt(env, "fraud", "policy", "--tenant", str(tenant))
    assert shown.returncode == 0, shown.stderr
    policy = json.loads(shown.stdout)
    assert {"dimension": "user", "windowSeconds": 3600, "limit": 5} in policy["velocity"]["limits"]
    assert "block_bot" in [rule["name"] for rule in policy["rules"]["rules"]]

    limits = tmp_path / "limits.json"
    limits.write_text(
        json.dumps({"limits": [{"dimension": "ip", "windowSeconds": 60, "limit": 3}]})
    )
    changed = tt(env, "fraud", "policy", "--tenant", str(tenant), "--velocity", str(limits))
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["velocity"]["limits"] == [
        {"dimension": "ip", "windowSeconds": 60, "limit": 3}
    ]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"limits": [{"dimension": "ip", "windowSeconds": 0, "limit": 3}]}))
    refused = tt(env, "fraud", "policy", "--tenant", str(tenant), "--velocity", str(bad))
    assert refused.returncode == 1
    assert "windowSeconds" in refused.stderr
    assert "Traceback" not in refused.stderr

    reset = tt(env, "fraud", "policy", "--tenant", str(tenant), "--reset")
    assert reset.returncode == 0, reset.stderr
    assert json.loads(reset.stdout) == policy
