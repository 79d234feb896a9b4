"""Throughput and latency of POST /api/v1/payments/calculate-fees through the real server.

Starts `tt serve` on the embedded default in a temporary data directory (or uses the
servers in TT_DATABASE_URL / TT_REDIS_URL if set, after `tt migrate`), puts a Nashville
venue, then sends --requests requests from --concurrency clients over keep-alive HTTP on
loopback, and prints requests/s and latency percentiles. Client and server share the
machine, so the numbers are a floor, not a capacity plan.

    ./dev bench calculate_fees [--requests 5000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

TT = str(Path(sys.executable).with_name("tt"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [TT, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"tt serve exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise SystemExit("tt serve did not become healthy in 90 s")


def token(env: dict[str, str], tenant: str) -> str:
    result = subprocess.run(  # noqa: S603
        [TT, "token", "issue", "--sub", str(uuid.uuid4()), "--tenant", tenant, "--role", "admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


async def load(
    url: str, headers: dict[str, str], body: dict[str, object], requests: int, concurrency: int
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    remaining = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal failures
            for _ in remaining:
                started = time.perf_counter()
                response = await client.post("/api/v1/payments/calculate-fees", json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures += 1

        # Warm up connections and caches before measuring.
        for _ in range(50):
            await client.post("/api/v1/payments/calculate-fees", json=body)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, failures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="tt-bench-", dir="/tmp"))
    port = free_port()
    env = {
        **os.environ,
        "TT_DATA_DIR": str(data_dir),
        "TT_PORT": str(port),
        "TT_LOG_LEVEL": "WARNING",
    }
    url = f"http://127.0.0.1:{port}"
    server = start_server(env, url)
    try:
        tenant, venue = str(uuid.uuid4()), str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {token(env, tenant)}"}
        put = httpx.put(
            f"{url}/api/v1/admin/venues/{venue}",
            headers=headers,
            timeout=10,
            json={
                "name": "Bench Hall",
                "address": {"city": "Nashville", "state": "TN", "zip": "37203"},
            },
        )
        put.raise_for_status()
        body = {
            "venueId": venue,
            "amount": 10000,
            "ticketCount": 2,
            "transactionDate": "2025-03-01",
        }
        latencies, elapsed, failures = asyncio.run(
            load(url, headers, body, args.requests, args.concurrency)
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    ms = [value * 1000 for value in latencies]
    print(
        f"calculate-fees: {args.requests} requests, concurrency {args.concurrency}, "
        f"{'embedded' if 'TT_DATABASE_URL' not in os.environ else 'configured'} servers"
    )
    print(f"  throughput  {args.requests / elapsed:8.1f} req/s   failures {failures}")
    print(
        f"  latency ms  p50 {percentile(ms, 0.50):.1f}  p95 {percentile(ms, 0.95):.1f}  "
        f"p99 {percentile(ms, 0.99):.1f}  mean {statistics.fmean(ms):.1f}  max {max(ms):.1f}"
    )


if __name__ == "__main__":
    main()
