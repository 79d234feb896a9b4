"""Shared pieces of the HTTP benchmarks: start `tt serve`, get a token, drive load, report.

Every benchmark runs the real server in a subprocess on loopback; the load generator is
httpx with keep-alive connections in this process. Both share the machine, so the numbers
are floors for the setup described, not capacity plans.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx

from tt_payments.auth.identity import Role
from tt_payments.auth.keys import load_key_pair
from tt_payments.auth.tokens import TokenService
from tt_payments.settings import Settings

TT = str(Path(sys.executable).with_name("tt"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(
    process: subprocess.Popen[bytes], url: str, timeout: float = 90, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text() if log else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise SystemExit(f"{url} did not become healthy in {timeout} s")


@attrs.frozen
class Service:
    url: str
    env: dict[str, str]
    data_dir: Path


@contextmanager
def tt_serve(
    extra_env: dict[str, str] | None = None, *, profile: Path | None = None
) -> Iterator[Service]:
    """`tt serve` on a free port: embedded servers in a temporary data directory, or the
    servers named by TT_DATABASE_URL / TT_REDIS_URL when they are set (run `tt migrate`).

    With ``profile``, the server runs under cProfile and writes its stats there on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="tt-bench-", dir="/tmp"))
    port = free_port()
    env = {
        **os.environ,
        "TT_DATA_DIR": str(data_dir),
        "TT_PORT": str(port),
        "TT_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    if "TT_DATABASE_URL" in env and "TT_JWT_PUBLIC_KEY_FILE" not in env:
        # tt serve generates keys only in embedded mode; make a throwaway pair here.
        settings = Settings(data_dir=data_dir)
        load_key_pair(settings, create=True)
        env["TT_JWT_PRIVATE_KEY_FILE"] = str(settings.private_key_path)
        env["TT_JWT_PUBLIC_KEY_FILE"] = str(settings.public_key_path)
    if "TT_DATABASE_URL" in env and "TT_QUEUE_TOKEN_SECRET" not in env:
        env["TT_QUEUE_TOKEN_SECRET"] = secrets.token_hex(32)
    url = f"http://127.0.0.1:{port}"
    command = [TT, "serve"]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    # The server's log (JSON lines on stdout, its banner on stderr) goes to a file: a pipe
    # nobody reads fills up (64 KiB) during a long bench and then blocks the server.
    log = Path(tempfile.gettempdir()) / f"tt-bench-serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            command, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_healthy(process, url, log=log)
        yield Service(url=url, env=env, data_dir=data_dir)
    finally:
        # uvicorn re-raises the signal after shutting down; cProfile writes its stats on
        # KeyboardInterrupt (SIGINT) but not when SIGTERM kills the process.
        process.send_signal(signal.SIGTERM if profile is None else signal.SIGINT)
        process.wait(timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)
        print(f"(the server's log: {log})", file=sys.stderr)


def issue_token(env: dict[str, str], tenant: str, role: str = "admin") -> str:
    result = subprocess.run(  # noqa: S603
        [TT, "token", "issue", "--sub", str(uuid.uuid4()), "--tenant", tenant, "--role", role],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def issue_user_tokens(service: Service, tenant: str, count: int) -> list[tuple[str, str]]:
    """``count`` (user id, token) pairs for distinct random users of ``tenant``, role user.

    Signed in this process with the service's keys (the ones ``tt serve`` generated in its
    data directory, or the files named by TT_JWT_*_KEY_FILE), by the service's own
    TokenService, which parses the private key once (from PEM on every signature, the RSA
    key would be re-validated: about 45 ms each, as a `tt token issue` pays).
    """
    settings = Settings.from_env(service.env)
    keys = load_key_pair(settings, create=False)
    if keys.private_pem is None:
        raise SystemExit("the service's key pair has no private key to sign user tokens with")
    tokens = TokenService(
        keys,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    tenant_id = uuid.UUID(tenant)
    users = [uuid.uuid4() for _ in range(count)]
    return [
        (str(user), tokens.issue(subject=user, tenant_id=tenant_id, role=Role.USER))
        for user in users
    ]


def put_event(service: Service, headers: dict[str, str], venue: str) -> str:
    """An event at ``venue`` selling ten million $50 tickets of one ticket type whose id is
    the event's own (the benchmarks' orders name it so); returns the event's id."""
    event = str(uuid.uuid4())
    httpx.put(
        f"{service.url}/api/v1/admin/events/{event}",
        headers=headers,
        timeout=10,
        json={"venueId": venue, "name": "Bench Night", "startsAt": "2027-01-01T20:00:00Z"},
    ).raise_for_status()
    httpx.put(
        f"{service.url}/api/v1/admin/events/{event}/ticket-types/{event}",
        headers=headers,
        timeout=10,
        json={"name": "General admission", "price": 5000, "currency": "USD", "capacity": 10**7},
    ).raise_for_status()
    return event


def put_nashville_venue(service: Service, headers: dict[str, str]) -> str:
    """A venue in Nashville (three tax lines) for the benchmarks; returns its id."""
    venue = str(uuid.uuid4())
    httpx.put(
        f"{service.url}/api/v1/admin/venues/{venue}",
        headers=headers,
        timeout=10,
        json={
            "name": "Bench Hall",
            "address": {"city": "Nashville", "state": "TN", "zip": "37203"},
        },
    ).raise_for_status()
    return venue


@attrs.frozen
class LoadResult:
    requests: int
    concurrency: int
    elapsed: float
    latencies_ms: list[float]
    failures: int
    first_failure: str | None = None
    """The first answer that was not the expected status: a benchmark of refusals
    measures nothing, so the report shows what went wrong."""

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def report(self, label: str) -> str:
        return (
            f"{label}: {self.requests} requests, concurrency {self.concurrency}\n"
            f"  throughput  {self.throughput:8.1f} req/s   failures {self.failures}\n"
            f"  latency ms  p50 {self.percentile(0.50):.1f}  p95 {self.percentile(0.95):.1f}  "
            f"p99 {self.percentile(0.99):.1f}  mean {statistics.fmean(self.latencies_ms):.1f}  "
            f"max {max(self.latencies_ms):.1f}"
            + (f"\n  FIRST FAILURE {self.first_failure}" if self.first_failure else "")
        )


def drive(
    url: str,
    request: Callable[[httpx.AsyncClient], object],
    *,
    requests: int,
    concurrency: int,
    ok_status: int = 200,
    warmup: int = 50,
) -> LoadResult:
    """Send ``requests`` requests made by ``request(client)`` from ``concurrency`` clients."""

    async def run() -> LoadResult:
        latencies: list[float] = []
        failures = 0
        first_failure: str | None = None
        remaining = iter(range(requests))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

            async def worker() -> None:
                nonlocal failures, first_failure
                for _ in remaining:
                    started = time.perf_counter()
                    response = await request(client)  # type: ignore[misc]
                    latencies.append((time.perf_counter() - started) * 1000)
                    if response.status_code != ok_status:
                        failures += 1
                        if first_failure is None:
                            first_failure = f"{response.status_code}: {response.text[:300]}"

            for _ in range(warmup):
                await request(client)  # type: ignore[misc]
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
        return LoadResult(requests, concurrency, elapsed, latencies, failures, first_failure)

    return asyncio.run(run())
