"""The newcomer's path, through the real `tt` command: serve on the embedded default,
issue a token, put a venue and an event, price a ticket, restart on the same data.

Every `tt` here runs with a data directory of the test's own (never the default
``./.tickettoken``, which would be the repository), and within a time limit that runs out
before pytest's, so a stuck command is reported with what it printed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import httpx
import pytest

from tests.e2e import processes
from tests.e2e.processes import Process
from tt_payments import Settings
from tt_payments.adapters.embedded import EmbeddedServers

TEST_SECONDS = 240
"""pytest's time limit for each test here: they start `tt serve` on embedded servers."""
pytestmark = pytest.mark.timeout(TEST_SECONDS)

RESERVED_SECONDS = 60
"""Kept back from the commands' time limits: setup before the deadline starts, and the
teardown's stopping of `tt serve` and of the embedded servers, all within pytest's limit."""

HEALTHY_WITHIN_SECONDS = 90
STOP_WITHIN_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@attrs.frozen
class Deadline:
    """When this test's commands must have finished (well before pytest gives up)."""

    at: float

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 1.0)


@attrs.frozen
class Tt:
    """`tt`, with this test's data directory in every environment and its deadline."""

    data_dir: Path
    deadline: Deadline

    def env(self, **values: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TT_")}
        env["TT_DATA_DIR"] = str(self.data_dir)
        env.update(values)
        return env

    def __call__(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        assert env.get("TT_DATA_DIR"), "every tt command gets the test's data directory"
        return processes.tt(env, *args, timeout=self.deadline.remaining())


class Server(Process):
    """`tt serve`, healthy once constructed; its output goes to files."""

    def __init__(self, env: dict[str, str], port: int, logs: Path, deadline: Deadline) -> None:
        super().__init__(env, logs, "serve")
        self.env, self.port = env, port
        self.url = f"http://127.0.0.1:{port}"
        within = min(HEALTHY_WITHIN_SECONDS, deadline.remaining())
        healthy_by = time.monotonic() + within
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"tt serve exited early: {self.stderr}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > healthy_by:
                self.stop()
                raise AssertionError(
                    f"tt serve did not become healthy in {within:.0f} s: {self.stderr}"
                )
            time.sleep(0.25)

    def stop(self) -> int:
        """SIGTERM, then its exit status; SIGKILL if it does not stop in time (the embedded
        servers it joined are then stopped by the ``data_dir`` fixture)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode


def embedded_servers_left(data_dir: Path) -> list[Path]:
    """The pid files of embedded servers under ``data_dir`` (each removed on a clean stop)."""
    candidates = (data_dir / "postgres" / "postmaster.pid", data_dir / "redis" / "redis.pid")
    return [path for path in candidates if path.exists()]


@pytest.fixture
def data_dir(workdir: Path) -> Iterator[Path]:
    """The test's data directory (under the session's short temporary directory: unix
    socket paths must stay short). At the end no embedded server of it may be running."""
    path = workdir / f"qs-{uuid.uuid4().hex[:6]}"
    yield path
    if embedded_servers_left(path):
        # A process that used them was killed before it could leave (SIGKILL of a stuck
        # `tt serve`, a command past its time limit). Joining prunes the dead, and leaving
        # as the last user stops PostgreSQL and Redis: the library's own way out.
        EmbeddedServers.start(path).stop()
    assert embedded_servers_left(path) == [], "an embedded server outlived its test"


@pytest.fixture
def deadline() -> Deadline:
    return Deadline(time.monotonic() + TEST_SECONDS - RESERVED_SECONDS)


@pytest.fixture
def tt(data_dir: Path, deadline: Deadline) -> Tt:
    return Tt(data_dir, deadline)


@pytest.fixture
def start(tt: Tt, tmp_path: Path, deadline: Deadline) -> Iterator[Callable[[int], Server]]:
    servers: list[Server] = []

    def run(port: int) -> Server:
        server = Server(tt.env(TT_PORT=str(port)), port, tmp_path, deadline)
        servers.append(server)
        return server

    yield run
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def test_a_newcomer_prices_a_nashville_ticket_with_the_cli(
    start: Callable[[int], Server], tt: Tt, data_dir: Path
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
        f"{server.url}/api/v1/payments/calculate-fees", json=body, headers=headers, timeout=60
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

    # And the event sells general admission at $50
    ticket_type = str(uuid.uuid4())
    put = tt(
        env,
        "events",
        "ticket-types",
        "put",
        ticket_type,
        "--tenant",
        tenant,
        "--event",
        event,
        "--name",
        "General admission",
        "--price",
        "5000",
        "--capacity",
        "500",
    )
    assert put.returncode == 0, put.stderr

    # And two payments for the (past) event settle and are paid out with the CLI
    for _ in range(2):
        paid = httpx.post(
            f"{server.url}/api/v1/payments/process",
            json={
                "venueId": venue,
                "eventId": event,
                "tickets": [{"ticketTypeId": ticket_type, "quantity": 2, "price": 5000}],
                "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_visa"},
            },
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert paid.status_code == 200, paid.text
    listed = tt(env, "events", "ticket-types", "list", "--tenant", tenant, "--event", event)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["sold"] == 4
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
        f"{server.url}/api/v1/payments/calculate-fees", json=body, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    assert (data_dir / "keys" / "jwt-private.pem").exists()


def test_cli_errors_are_one_readable_line(tt: Tt) -> None:
    env = tt.env()
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
    fresh_database: Callable[[], str], settings: Settings, tt: Tt
) -> None:
    url = fresh_database()
    env = tt.env(TT_DATABASE_URL=url, TT_REDIS_URL=settings.redis_url or "")
    first = tt(env, "migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated from empty to" in first.stdout
    again = tt(env, "migrate")
    assert "already at" in again.stdout


def test_serve_refuses_a_database_that_is_not_migrated(
    fresh_database: Callable[[], str], settings: Settings, tt: Tt
) -> None:
    env = tt.env(
        TT_DATABASE_URL=fresh_database(),
        TT_REDIS_URL=settings.redis_url or "",
        TT_PORT=str(free_port()),
        TT_JWT_PRIVATE_KEY_FILE=str(settings.private_key_path),
        TT_JWT_PUBLIC_KEY_FILE=str(settings.public_key_path),
    )
    result = tt(env, "serve")
    assert result.returncode == 1
    assert "run `tt migrate` first" in result.stderr


def test_tt_ledger_verify_reports_a_clean_ledger(settings: Settings, tt: Tt) -> None:
    env = tt.env(
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
