"""The newcomer's path, through the real `tt` command: serve on the embedded default,
issue a token, put a venue and an event, price a ticket, restart on the same data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tt_payments import Settings

TT = str(Path(sys.executable).with_name("tt"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TT_")}
    env.update(values)
    return env


def tt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [TT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process = subprocess.Popen(  # noqa: S603
            [TT, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                raise AssertionError(f"tt serve exited early: {err}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("tt serve did not become healthy in 90 s")
            time.sleep(0.25)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        return self.process.returncode


@pytest.fixture
def data_dir(workdir: Path) -> Path:
    return workdir / f"qs-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def start(data_dir: Path) -> Iterator[Callable[[int], Server]]:
    servers: list[Server] = []

    def run(port: int) -> Server:
        server = Server(clean_env(TT_DATA_DIR=str(data_dir), TT_PORT=str(port)), port)
        servers.append(server)
        return server

    yield run
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def test_a_newcomer_prices_a_nashville_ticket_with_the_cli(
    start: Callable[[int], Server], data_dir: Path
) -> None:
    # Given `tt serve` on the embedded default
    port = free_port()
    server = start(port)
    env = server.env
    tenant, admin, venue, event = (str(uuid.uuid4()) for _ in range(4))

    # When the newcomer issues a token and puts a venue and an event with the CLI
    issued = tt(env, "token", "issue", "--sub", admin, "--tenant", tenant, "--role", "admin")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    put = tt(
        env,
        "venues",
        "put",
        venue,
        "--tenant",
        tenant,
        "--name",
        "Ryman Auditorium",
        "--city",
        "Nashville",
        "--state",
        "TN",
        "--zip",
        "37203",
    )
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["created"] is True
    put = tt(
        env,
        "events",
        "put",
        event,
        "--tenant",
        tenant,
        "--venue",
        venue,
        "--name",
        "Opening night",
        "--starts-at",
        "2025-06-01T20:00:00-05:00",
    )
    assert put.returncode == 0, put.stderr

    # Then calculate-fees answers the starter-tier breakdown for a $100 ticket
    body = {"venueId": venue, "amount": 10000, "ticketCount": 1, "transactionDate": "2025-01-20"}
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.post(
        f"{server.url}/api/v1/payments/calculate-fees", json=body, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["fees"] == {
        "ticketPrice": 10000,
        "platformFee": 820,
        "gasEstimate": 50,
        "stateTax": 700,
        "localTax": 225,
        "specialTax": 100,
        "total": 11895,
    }

    # And two payments for the (past) event settle and are paid out with the CLI
    for _ in range(2):
        paid = httpx.post(
            f"{server.url}/api/v1/payments/process",
            json={
                "venueId": venue,
                "eventId": event,
                "tickets": [{"ticketTypeId": event, "quantity": 2, "price": 5000}],
                "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_visa"},
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert paid.status_code == 200, paid.text
    settled = tt(env, "balances", "settle", "--tenant", tenant, "--json")
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["salesSettled"] == 2
    shown = tt(env, "balances", "show", "--tenant", tenant, "--venue", venue, "--json")
    assert json.loads(shown.stdout)["payoutInfo"]["payable"] == 19000
    ran = tt(env, "payouts", "run", "--tenant", tenant)
    assert ran.returncode == 0, ran.stderr
    assert "venues paid 1" in ran.stdout
    listed = tt(env, "payouts", "list", "--tenant", tenant, "--json")
    assert [json.loads(line)["amount"] for line in listed.stdout.splitlines()] == [19000]

    # And a second `tt serve` on the busy port fails with a clear message
    second = tt(env, "serve")
    assert second.returncode == 1
    assert f"port {port}" in second.stderr
    assert "already in use" in second.stderr

    # And it shuts down gracefully (uvicorn re-raises the SIGTERM it handled), stopping the
    # embedded PostgreSQL it started
    assert server.stop() in (0, -signal.SIGTERM)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()

    # And after a restart on the same data directory, the venue and the keys are still there
    server = start(port)
    response = httpx.post(
        f"{server.url}/api/v1/payments/calculate-fees", json=body, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    assert (data_dir / "keys" / "jwt-private.pem").exists()


def test_cli_errors_are_one_readable_line(data_dir: Path) -> None:
    env = clean_env(TT_DATA_DIR=str(data_dir))
    result = tt(
        env,
        "venues",
        "put",
        str(uuid.uuid4()),
        "--tenant",
        str(uuid.uuid4()),
        "--name",
        "X",
        "--city",
        "Nashville",
        "--state",
        "TN",
        "--zip",
        "372",
    )
    assert result.returncode == 1
    assert "INVALID_ADDRESS" in result.stderr or "VALIDATION_ERROR" in result.stderr
    assert "Traceback" not in result.stderr


def test_tt_migrate_applies_the_schema_to_a_configured_database(
    fresh_database: Callable[[], str], settings: Settings
) -> None:
    url = fresh_database()
    env = clean_env(TT_DATABASE_URL=url, TT_REDIS_URL=settings.redis_url or "")
    first = tt(env, "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated from empty to" in first.stdout
    again = tt(env, "migrate")
    assert "already at" in again.stdout


def test_serve_refuses_a_database_that_is_not_migrated(
    fresh_database: Callable[[], str], settings: Settings, data_dir: Path
) -> None:
    env = clean_env(
        TT_DATABASE_URL=fresh_database(),
        TT_REDIS_URL=settings.redis_url or "",
        TT_PORT=str(free_port()),
        TT_DATA_DIR=str(data_dir),
        TT_JWT_PRIVATE_KEY_FILE=str(settings.private_key_path),
        TT_JWT_PUBLIC_KEY_FILE=str(settings.public_key_path),
    )
    result = tt(env, "serve")
    assert result.returncode == 1
    assert "run `tt migrate` first" in result.stderr


def test_tt_ledger_verify_reports_a_clean_ledger(settings: Settings) -> None:
    env = clean_env(
        TT_DATABASE_URL=settings.database_url or "",
        TT_REDIS_URL=settings.redis_url or "",
        TT_JWT_PRIVATE_KEY_FILE=str(settings.private_key_path),
        TT_JWT_PUBLIC_KEY_FILE=str(settings.public_key_path),
    )
    result = tt(env, "ledger", "verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["unbalancedEntries"] == []
