"""What the pre-payment checks add to POST /api/v1/payments/process: off, on, on + queue.

Three configurations in one invocation, each on its own `tt serve` (embedded servers in a
fresh temporary data directory, or the servers in TT_DATABASE_URL / TT_REDIS_URL, migrated):

1. checks off (TT_PRE_PAYMENT_CHECKS=off): no bot, scalper or velocity checks;
2. checks on: bot detection on sessionData, scalper history (PostgreSQL), the decision
   engine, velocity counters (Redis) and the fraud records written per payment;
3. checks on and the event high-demand (--requests active slots): every buyer joined the
   waiting room and was admitted before the timed part, so each payment also spends its
   one-use access token (x-access-token) and the purchase limits are counted.

Each time: a venue and an event, velocity limits lifted through the admin route (a load
test from one IP and one test card is not fraud), then --requests payments from
--concurrency clients, each by a DISTINCT user (tokens signed beforehand) with its own
deviceFingerprint and a human-looking sessionData (a seeded random per user), card
pm_card_visa, 2 tickets of 5000. Every payment should answer 200: anything else is counted
and shown by status and code, since it means the setup (or the service) is wrong.

    ./dev bench pre_payment_checks [--requests 1000] [--concurrency 16] [--seed 7]
        [--profile PATH]   # cProfile of the checks-on server, top functions printed
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import pstats
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import httpx
from harness import (
    LoadResult,
    Service,
    drive,
    issue_token,
    issue_user_tokens,
    put_event,
    put_nashville_venue,
    tt_serve,
)

WARMUP = 50  # harness.drive's untimed requests; each needs its own buyer too
GENEROUS_VELOCITY = {
    "limits": [
        {"dimension": "user", "windowSeconds": 3600, "limit": 1_000_000},
        {"dimension": "ip", "windowSeconds": 60, "limit": 1_000_000},
        {"dimension": "card", "windowSeconds": 86_400, "limit": 1_000_000},
        {"dimension": "card_users", "windowSeconds": 86_400, "limit": 1_000_000},
    ]
}
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
)


@attrs.frozen
class Configuration:
    label: str
    checks: bool
    high_demand: bool


CONFIGURATIONS = (
    Configuration("checks off", checks=False, high_demand=False),
    Configuration("checks on", checks=True, high_demand=False),
    Configuration("checks on + queue token", checks=True, high_demand=True),
)


def human_session(rng: random.Random, index: int) -> dict[str, object]:
    """A hand on a mouse (as tests/e2e/test_fraud_http.py draws one), varied per buyer:
    a curved reach with wobble between two random points, uneven frames, pauses, two clicks."""
    moves = []
    at = rng.randint(500, 5000)
    steps = rng.randint(40, 80)
    x0, y0 = rng.randint(20, 400), rng.randint(20, 300)
    dx, dy = rng.randint(250, 700), rng.randint(150, 450)
    bow = rng.uniform(30, 90)
    for step in range(steps):
        at += rng.choice((8, 16, 16, 17, 24, 33))
        t = step / steps
        x = int(x0 + dx * t + rng.uniform(-3, 3))
        y = int(y0 + dy * t * t + bow * t * (1 - t) + rng.uniform(-3, 3))
        moves.append({"type": "mousemove", "timestamp": at, "x": x, "y": y})
    first_click = at + rng.randint(300, 1200)
    clicks = [
        {"type": "click", "timestamp": first_click, "x": x0 + dx, "y": y0 + dy},
        {
            "type": "click",
            "timestamp": first_click + rng.randint(1500, 4000),
            "x": rng.randint(400, 900),
            "y": rng.randint(400, 700),
        },
    ]
    return {
        "sessionId": f"sess-bench-{index}",
        "actions": [*moves, *clicks],
        "browserFeatures": {
            "webdriver": False,
            "plugins": rng.randint(1, 5),
            "languages": rng.randint(1, 3),
            "hardwareConcurrency": rng.choice((4, 8, 10, 12, 16)),
            "userAgent": rng.choice(USER_AGENTS),
        },
    }


def order(venue: str, event: str, index: int, rng: random.Random) -> dict[str, object]:
    return {
        "venueId": venue,
        "eventId": event,
        "tickets": [{"ticketTypeId": event, "quantity": 2, "price": 5000}],
        "paymentMethod": {"type": "card", "paymentMethodId": "pm_card_visa"},
        "deviceFingerprint": f"bench-device-{index}-{rng.getrandbits(48):012x}",
        "sessionData": human_session(rng, index),
    }


def make_high_demand(service: Service, admin: dict[str, str], event: str, slots: int) -> None:
    """On sale a minute ago, a slot for every buyer, tokens that outlive the run, and
    purchase limits that one test card and one default address across buyers never reach
    (per user and per order stay at the defaults: each buyer buys 2 tickets once)."""
    httpx.put(
        f"{service.url}/api/v1/admin/events/{event}/high-demand",
        headers=admin,
        timeout=10,
        json={
            "enabled": True,
            "onSaleAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "activeSlots": slots,
            "tokenTtlSeconds": 3600,
            "purchaseLimits": {"perPaymentMethod": 1_000_000, "perAddress": 1_000_000},
        },
    ).raise_for_status()


def admit_everyone(
    url: str, event: str, buyers: list[dict[str, str]], concurrency: int
) -> collections.Counter[str]:
    """Join and poll once per buyer; put each admitted buyer's access token in its headers.
    Returns how the buyers ended up (``admitted`` for all when the setup is right)."""

    async def run() -> collections.Counter[str]:
        outcome: collections.Counter[str] = collections.Counter()
        remaining = iter(buyers)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

            async def worker() -> None:
                for headers in remaining:
                    auth = {"Authorization": headers["Authorization"]}
                    joined = await client.post(f"/api/v1/waiting-room/{event}/join", headers=auth)
                    if joined.status_code != 200:
                        outcome[f"join {joined.status_code}"] += 1
                        continue
                    status = await client.get(f"/api/v1/waiting-room/{event}/status", headers=auth)
                    answer = status.json() if status.status_code == 200 else {}
                    if answer.get("accessToken"):
                        headers["x-access-token"] = answer["accessToken"]
                    outcome[answer.get("state", f"status {status.status_code}")] += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return outcome

    return asyncio.run(run())


@attrs.frozen
class Outcome:
    result: LoadResult
    answers: collections.Counter[str]
    first_refusal: str | None


def run_configuration(
    configuration: Configuration, args: argparse.Namespace, profile: Path | None
) -> Outcome:
    extra_env = {"TT_PRE_PAYMENT_CHECKS": "on" if configuration.checks else "off"}
    with tt_serve(extra_env, profile=profile) as service:
        tenant = str(uuid.uuid4())
        admin = {"Authorization": f"Bearer {issue_token(service.env, tenant)}"}
        venue = put_nashville_venue(service, admin)
        event = put_event(service, admin, venue)
        httpx.put(
            f"{service.url}/api/v1/admin/fraud/policy",
            headers=admin,
            timeout=10,
            json={"velocity": GENEROUS_VELOCITY},
        ).raise_for_status()
        total = args.requests + WARMUP
        started = time.perf_counter()
        tokens = issue_user_tokens(service, tenant, total)
        rng = random.Random(args.seed)
        buyers = [{"Authorization": f"Bearer {token}"} for _, token in tokens]
        bodies = [order(venue, event, index, rng) for index in range(total)]
        setup = f"{total} buyers signed in {time.perf_counter() - started:.1f} s"
        if configuration.high_demand:
            make_high_demand(service, admin, event, slots=total)
            started = time.perf_counter()
            admitted = admit_everyone(service.url, event, buyers, args.concurrency)
            setup += (
                f"; joined and polled in {time.perf_counter() - started:.1f} s: {dict(admitted)}"
            )
        print(f"{configuration.label}: {setup}")

        prepared = iter(zip(buyers, bodies, strict=True))
        answers: collections.Counter[str] = collections.Counter()
        first_refusal: list[str] = []

        async def pay(client: httpx.AsyncClient) -> httpx.Response:
            headers, body = next(prepared)
            response = await client.post(
                "/api/v1/payments/process",
                json=body,
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            )
            code = ""
            if response.status_code != 200:
                code = f" {response.json().get('code', '')}" if response.content else ""
                if not first_refusal:
                    first_refusal.append(f"{response.status_code}: {response.text[:400]}")
            answers[f"{response.status_code}{code}"] += 1
            return response

        result = drive(
            service.url, pay, requests=args.requests, concurrency=args.concurrency, warmup=WARMUP
        )
        decisions = fraud_decisions(service, admin) if configuration.checks else ""
    print(result.report(f"process-payment, {configuration.label}"))
    print(f"  answers (warmup included) {dict(answers)}{decisions}")
    return Outcome(result, answers, first_refusal[0] if first_refusal else None)


def fraud_decisions(service: Service, admin: dict[str, str]) -> str:
    """The fraud decisions other than approve (the newest 100 of each): none expected."""
    found = []
    for decision in ("review", "challenge", "decline"):
        checks = httpx.get(
            f"{service.url}/api/v1/admin/fraud/checks",
            headers=admin,
            params={"decision": decision, "limit": "100"},
            timeout=10,
        ).json()["checks"]
        found.append(f"{decision} {len(checks)}")
    return "; fraud decisions " + ", ".join(found)


def overhead(label: str, base: LoadResult, other: LoadResult) -> str:
    def delta(fraction: float) -> str:
        return f"{other.percentile(fraction) - base.percentile(fraction):+.1f} ms"

    return (
        f"overhead of {label}: {delta(0.50)} p50 ({delta(0.95)} p95, {delta(0.99)} p99), "
        f"throughput ratio on/off {other.throughput / base.throughput:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7, help="seeds the buyers' sessions")
    parser.add_argument(
        "--profile", type=Path, help="run the checks-on server under cProfile; print its top"
    )
    args = parser.parse_args()
    if args.requests + WARMUP > 100_000:
        parser.error("at most 99950 requests: the waiting room holds 100000 active slots")

    outcomes = {}
    for configuration in CONFIGURATIONS:
        profile = args.profile if configuration.label == "checks on" else None
        outcomes[configuration.label] = run_configuration(configuration, args, profile)

    servers = "configured" if "TT_DATABASE_URL" in os.environ else "embedded"
    off, on, queued = (outcomes[c.label] for c in CONFIGURATIONS)
    print()
    print(f"pre-payment checks ({servers} servers), {args.requests} payments, distinct buyers:")
    for configuration in CONFIGURATIONS:
        outcome = outcomes[configuration.label]
        result = outcome.result
        print(
            f"  {configuration.label:24} {result.throughput:7.1f} payments/s  "
            f"p50 {result.percentile(0.50):6.1f}  p95 {result.percentile(0.95):6.1f}  "
            f"p99 {result.percentile(0.99):6.1f} ms  failures {result.failures}"
        )
    print(overhead("fraud checks", off.result, on.result))
    print(overhead("fraud checks + queue token", off.result, queued.result))
    print(overhead("queue token alone (vs checks on)", on.result, queued.result))
    failures = {c.label: outcomes[c.label].result.failures for c in CONFIGURATIONS}
    if any(failures.values()):
        print(f"!!! FAILED PAYMENTS (timed part): {failures}")
        for configuration in CONFIGURATIONS:
            refusal = outcomes[configuration.label].first_refusal
            if refusal is not None:
                print(f"!!! first refusal, {configuration.label}: {refusal}")
    else:
        print("failures: 0 (every timed payment answered 200)")
    if args.profile is not None:
        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
