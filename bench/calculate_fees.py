"""Throughput and latency of POST /api/v1/payments/calculate-fees through the real server.

Starts `tt serve` (see bench/harness.py), puts a Nashville venue, then sends --requests
requests from --concurrency clients and prints requests/s and latency percentiles.

    ./dev bench calculate_fees [--requests 5000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import os
import uuid

from harness import drive, issue_token, put_nashville_venue, tt_serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    with tt_serve() as service:
        tenant = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {issue_token(service.env, tenant)}"}
        venue = put_nashville_venue(service, headers)
        body = {
            "venueId": venue,
            "amount": 10000,
            "ticketCount": 2,
            "transactionDate": "2025-03-01",
        }
        result = drive(
            service.url,
            lambda client: client.post(
                "/api/v1/payments/calculate-fees", json=body, headers=headers
            ),
            requests=args.requests,
            concurrency=args.concurrency,
        )
    servers = "configured" if "TT_DATABASE_URL" in os.environ else "embedded"
    print(result.report(f"calculate-fees ({servers} servers)"))


if __name__ == "__main__":
    main()
