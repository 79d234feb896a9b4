"""`tt serve --workers N`: several server processes on one port behave as one service.

The real command on the test servers: payments land in whichever process accepts the
connection, and /metrics, answered by any of them, counts every process's payments
(prometheus-client's multiprocess mode); stopping the parent stops every worker.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import Process, cli_env
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Settings
from tt_payments.auth.identity import Role

pytestmark = pytest.mark.timeout(240)

AuthHeaders = Callable[..., dict[str, str]]
HEALTHY_WITHIN_SECONDS = 90
BATCH = 8
MAX_BATCHES = 12
COMPLETED = re.compile(r"^payment_transactions_total\{([^}]*)\} (\S+)$", re.MULTILINE)


def completed_card_payments(exposition: str) -> list[float]:
    """The samples of payment_transactions_total for completed card payments."""
    return [
        float(value)
        for labels, value in COMPLETED.findall(exposition)
        if 'status="completed"' in labels and 'method="card"' in labels
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    found: list[int] = []
    for tasks in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (tasks / "children").read_text().split()]
    return found


def running(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def still_running(pids: list[int], *, within: float) -> list[int]:
    """Those of ``pids`` still running after ``within`` seconds (each child exits on its own
    once told; multiprocessing's resource tracker a moment after the parent)."""
    gone_by = time.monotonic() + within
    while (left := [pid for pid in pids if running(pid)]) and time.monotonic() < gone_by:
        time.sleep(0.2)
    return left


def run_dir_of(pid: int) -> Path | None:
    """Where a worker keeps its share of the metrics (its TT_SERVE_RUN_DIR)."""
    for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if entry.startswith(b"TT_SERVE_RUN_DIR="):
            return Path(entry.split(b"=", 1)[1].decode())
    return None


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[Process, str]]:
    port = free_port()
    server = Process(cli_env(settings, TT_PORT=str(port)), tmp_path, "serve", "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    healthy_by = time.monotonic() + HEALTHY_WITHIN_SECONDS
    while True:
        if server.process.poll() is not None:
            raise AssertionError(f"tt serve exited early: {server.stderr}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < healthy_by, f"tt serve not healthy: {server.stderr}"
        time.sleep(0.25)
    yield server, url
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


async def test_two_processes_share_the_port_and_one_metrics_answer_counts_both(
    served: tuple[Process, str], auth: AuthHeaders
) -> None:
    server, url = served
    tenant = uuid.uuid4()
    workers = children(server.process.pid)
    run_dirs = {run_dir_of(pid) for pid in workers} - {None}
    assert len(run_dirs) == 1, f"the workers share one run directory: {run_dirs}"
    metrics_dir = next(iter(run_dirs)) / "metrics"  # type: ignore[operator]

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        venue, event = await venue_and_event(
            client, lambda *a, **k: auth(*a, tenant_id=tenant, **k), capacity=10_000
        )

    async def pay(number: int) -> None:
        # A connection of its own, so the kernel hands it to either process; a buyer, card,
        # device and address of its own, so no fraud or purchase limit is reached.
        paid = body(venue, event, f"pm_sim_buyer_{number}")
        paid["deviceFingerprint"] = f"device-{number}"
        headers = {
            **keyed(auth(Role.USER, tenant_id=tenant)),
            "X-Forwarded-For": f"10.1.{number // 250}.{number % 250}",
        }
        async with httpx.AsyncClient(base_url=url, timeout=60) as one:
            response = await one.post(PROCESS, json=paid, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["transaction"]["status"] == "completed"

    # When buyers pay, in concurrent batches, until both processes have taken payments
    paid = 0
    while paid < BATCH * MAX_BATCHES:
        await asyncio.gather(*(pay(paid + i) for i in range(BATCH)))
        paid += BATCH
        writers = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
        if len(writers) >= 2:
            break
    assert len(writers) >= 2, f"one process took all {paid} payments: {writers}"

    # Then /metrics, from whichever process answers, counts every payment of both
    for _ in range(6):
        async with httpx.AsyncClient(base_url=url, timeout=60) as one:
            exposed = (await one.get("/metrics")).text
        assert completed_card_payments(exposed) == [float(paid)]

    # And stopping the parent stops its workers
    server.process.send_signal(signal.SIGTERM)
    try:
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"tt serve did not stop: {server.stderr}") from None
    assert still_running(workers, within=15) == []
