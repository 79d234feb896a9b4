"""Load on POST /api/v1/payments/process, compared with the floor of its SQL writes.

1. Runs the service (`tt serve`: embedded servers in a temporary data directory, or the
   servers in TT_DATABASE_URL / TT_REDIS_URL, migrated), puts a venue and an event, and
   sends --requests payments (each its own Idempotency-Key, the simulated processor's
   good card) from --concurrency clients; prints payments/s, p50/p95/p99 and errors.
2. In the same invocation, runs bench/minimal_payment_server.py on the same database (the
   same SQL writes, no framework or business logic) under the same load, and prints the
   ratio service / minimal.

    ./dev bench process_payments [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from harness import (
    drive,
    free_port,
    issue_token,
    put_event,
    put_nashville_venue,
    tt_serve,
    wait_healthy,
)

from tt_payments.adapters.embedded import EmbeddedServers


def order(venue: str, event: str) -> dict[str, object]:
    return {
        "venueId": venue,
        "eventId": event,
        "tickets": [{"ticketTypeId": event, "quantity": 2, "price": 5000}],
        "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_visa"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--profile", type=Path, help="run the service under cProfile; print its top functions"
    )
    args = parser.parse_args()

    # The payment core against its SQL floor: without the fraud checks (one admin pays
    # thousands of times, which velocity limits exist to stop). bench/pre_payment_checks.py
    # measures what the checks add.
    with tt_serve({"TT_PRE_PAYMENT_CHECKS": "off"}, profile=args.profile) as service:
        tenant = str(uuid.uuid4())
        admin = {"Authorization": f"Bearer {issue_token(service.env, tenant)}"}
        venue = put_nashville_venue(service, admin)
        event = put_event(service, admin, venue)
        lift_purchase_limits(service.url, admin, event)
        body = order(venue, event)
        service_result = drive(
            service.url,
            lambda client: client.post(
                "/api/v1/payments/process",
                json=body,
                headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
            ),
            requests=args.requests,
            concurrency=args.concurrency,
        )
        if "TT_DATABASE_URL" in os.environ:
            database_url = os.environ["TT_DATABASE_URL"]
            joined = None
        else:
            joined = EmbeddedServers.start(service.data_dir)
            database_url = joined.database_url
        try:
            minimal_result = run_minimal(database_url, body, args.requests, args.concurrency)
        finally:
            if joined is not None:
                joined.stop()

    servers = "configured" if "TT_DATABASE_URL" in os.environ else "embedded"
    print(service_result.report(f"process-payment, service ({servers} servers)"))
    print(minimal_result.report("process-payment, minimal handler (same SQL writes)"))
    print(f"ratio service/minimal: {service_result.throughput / minimal_result.throughput:.2f}")
    if args.profile is not None:
        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("tottime").print_stats(25)


def lift_purchase_limits(url: str, admin: dict[str, str], event: str) -> None:
    """One admin buys thousands of times here: the event's purchase limits (4 tickets a
    buyer by default, counted even with the fraud checks off) would refuse all but the
    first two payments. No waiting room (enabled: false), limits out of reach."""
    out_of_reach = 1_000_000
    httpx.put(
        f"{url}/api/v1/admin/events/{event}/high-demand",
        headers=admin,
        timeout=10,
        json={
            "enabled": False,
            "onSaleAt": "2026-01-01T00:00:00Z",
            "activeSlots": 1,
            "purchaseLimits": {
                "perUser": out_of_reach,
                "perPaymentMethod": out_of_reach,
                "perAddress": out_of_reach,
                "perOrder": out_of_reach,
            },
        },
    ).raise_for_status()


def run_minimal(database_url: str, body: dict[str, object], requests: int, concurrency: int):  # type: ignore[no-untyped-def]
    port = free_port()
    script = Path(__file__).with_name("minimal_payment_server.py")
    process = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(script), "--port", str(port), "--database-url", database_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url)
        return drive(
            url,
            lambda client: client.post("/pay", json=body),
            requests=requests,
            concurrency=concurrency,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
