"""A big on-sale end to end: buyers join before the sale, the verifiable draw orders them,
admission comes in waves of the event's slots, and each admitted buyer pays with its
access token (sessionData included, its own card and device).

1. Runs `tt serve` (embedded servers in a temporary data directory, or the servers in
   TT_DATABASE_URL / TT_REDIS_URL, migrated), puts a venue, an event, its ticket type and
   fraud velocity limits lifted (as bench/wrk_payments.sh does: every buyer here comes
   from one address), and makes the event high-demand, on sale later.
2. --buyers users join; then the on-sale is moved to now, which draws the pre-sale order.
3. Waves: the buyers next in line poll their status; the admitted pay, one ticket each,
   which frees their slots for the next wave. Every 25th buyer first orders more than
   the per-order limit (refused, and expelled: its token stops working); every 10th
   paid buyer tries its spent token again; --gatecrashers users who never joined try to
   pay with no token and with a tampered one.
4. Prints joins/s, admissions/s, payments/s and the time from the on-sale to the last
   payment, then the checks: admitted in draw order (and the draw verifies against the
   published seed; a buyer missing from it must be one the room dropped for not polling
   within --heartbeat), every purchase limit held, no payment without a valid token, no
   token used twice, and the ticket type's sold count equal to the tickets paid for.
   Exits 1 when a check fails.

    ./dev bench on_sale [--buyers 20000] [--slots 1000] [--concurrency 32] [--heartbeat 60]

tests/e2e/test_on_sale_http.py runs ``run_on_sale`` with 500 buyers against the in-process
service and asserts the checks (not the timings).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import issue_token, issue_user_tokens, tt_serve
from pre_payment_checks import human_session

from tt_high_demand.fairness import verify

PROCESS = "/api/v1/payments/process"
GREEDY_EVERY = 25
REUSE_EVERY = 10
LIMITS = {"perUser": 2, "perPaymentMethod": 2, "perAddress": 1_000_000, "perOrder": 2}
LIFTED_VELOCITY = {
    "velocity": {
        "limits": [
            {"dimension": "user", "windowSeconds": 3600, "limit": 10_000_000},
            {"dimension": "ip", "windowSeconds": 60, "limit": 10_000_000},
            {"dimension": "card", "windowSeconds": 86400, "limit": 10_000_000},
        ]
    }
}


@attrs.define
class Buyer:
    index: int
    headers: dict[str, str]
    queue_id: str = ""
    position: int = 0
    wave: int | None = None
    token: str | None = None
    served: bool = False
    dropped: bool = False
    """Left out of the room: not polled within the heartbeat timeout (``not_in_queue``)."""
    paid_tickets: int = 0
    answers: list[tuple[str, int, str | None]] = attrs.field(factory=list)
    """(what was tried, HTTP status, error code) for every payment attempt."""

    @property
    def greedy(self) -> bool:
        return self.index % GREEDY_EVERY == GREEDY_EVERY - 1


@attrs.frozen
class OnSaleReport:
    buyers: int
    joins_per_second: float
    admissions_per_second: float
    payments_per_second: float
    on_sale_to_last_payment_seconds: float
    waves: int
    paid: int
    dropped: int
    polls_per_second: float
    heartbeat_seconds: int
    """The room's heartbeat timeout: a waiting buyer not polled within it is dropped."""
    """Status polls (the heartbeat and the wave loop's), from the first join to the last
    payment: what keeping the waiting buyers in the room costs."""
    checks: dict[str, list[str]]
    """Each check's name and its failures (empty: it held)."""

    @property
    def passed(self) -> bool:
        return all(not failures for failures in self.checks.values())

    def lines(self) -> list[str]:
        out = [
            f"on-sale: {self.buyers} buyers, {self.paid} paid in {self.waves} waves",
            f"  joins/s {self.joins_per_second:.0f}, admissions/s "
            f"{self.admissions_per_second:.0f}, payments/s {self.payments_per_second:.1f}",
            f"  on-sale to last payment {self.on_sale_to_last_payment_seconds:.1f} s",
            f"  status polls/s {self.polls_per_second:.0f}; {self.dropped} buyers dropped "
            f"(not polled within the room's {self.heartbeat_seconds} s heartbeat timeout)",
        ]
        for name, failures in self.checks.items():
            verdict = "ok" if not failures else f"FAILED ({len(failures)}): {failures[:3]}"
            out.append(f"  check {name}: {verdict}")
        return out


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def _bounded(concurrency: int, jobs: Sequence[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def run_on_sale(
    client: httpx.AsyncClient,
    *,
    admin: dict[str, str],
    buyer_headers: Sequence[dict[str, str]],
    gatecrasher_headers: Sequence[dict[str, str]],
    slots: int,
    concurrency: int = 32,
    heartbeat_seconds: int = 60,
    progress: Callable[[str], None] = lambda _: None,
) -> OnSaleReport:
    """The whole on-sale against ``client`` (a running service); see the module docstring."""
    sale = _OnSale(client, admin, slots, concurrency, progress, heartbeat_seconds=heartbeat_seconds)
    buyers = [Buyer(index, headers) for index, headers in enumerate(buyer_headers)]
    await sale.open_event()
    # Every joined buyer keeps polling from its join on, as its browser would.
    beating = asyncio.create_task(sale.heartbeat(buyers))
    first_join = time.perf_counter()
    try:
        joins_per_second = await sale.join(buyers)
        on_sale = time.perf_counter()
        await sale.draw(buyers)
        waves, admitted_at, first_payment, last_payment = await sale.waves(buyers)
    finally:
        beating.cancel()
    await sale.gatecrash(gatecrasher_headers, buyers)
    await sale.check_books(buyers)
    paid = sum(1 for buyer in buyers if buyer.paid_tickets)
    admissions = sum(1 for buyer in buyers if buyer.wave is not None)
    admission_span = (admitted_at - on_sale) if waves else 0.0
    payment_span = last_payment - first_payment
    return OnSaleReport(
        buyers=len(buyers),
        joins_per_second=joins_per_second,
        admissions_per_second=admissions / admission_span if admission_span else 0.0,
        payments_per_second=paid / payment_span if payment_span > 0 else 0.0,
        on_sale_to_last_payment_seconds=last_payment - on_sale,
        waves=waves,
        paid=paid,
        dropped=sum(1 for buyer in buyers if buyer.dropped),
        polls_per_second=sale.polls / (last_payment - first_join),
        heartbeat_seconds=heartbeat_seconds,
        checks=sale.checks,
    )


class _OnSale:
    """One on-sale's event and what its checks found, phase by phase."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        slots: int,
        concurrency: int,
        progress: Callable[[str], None],
        *,
        heartbeat_seconds: int,
    ) -> None:
        self.client, self.admin, self.slots = client, admin, slots
        self.concurrency, self.progress = concurrency, progress
        self.heartbeat_seconds = heartbeat_seconds
        self.rng = random.Random(20261203)
        self.venue, self.event = str(uuid.uuid4()), str(uuid.uuid4())
        self.ticket_type = self.event
        self.settings = {
            "enabled": True,
            "activeSlots": slots,
            "purchaseLimits": LIMITS,
            "heartbeatSeconds": heartbeat_seconds,
        }
        self.settings_path = f"/api/v1/admin/events/{self.event}/high-demand"
        self.commitment = ""
        self.buyers: Sequence[Buyer] = ()
        self.window: set[int] = set()
        self.polls = 0
        """The buyers the wave loop polls itself (the heartbeat leaves them out)."""
        self.order: list[str] = []
        self.undrawn: list[Buyer] = []
        """Buyers who joined but are not in the draw: the room dropped them before the
        sale (not polled in time), or the draw is wrong (checked after the waves)."""
        self.checks: dict[str, list[str]] = {
            "draw order": [],
            "purchase limits": [],
            "no payment without a valid token": [],
            "no token used twice": [],
            "tickets sold = tickets paid": [],
            "every buyer served": [],
        }

    async def put(self, path: str, body: object) -> Any:
        response = await self.client.put(path, json=body, headers=self.admin)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"PUT {path} answered {response.status_code}: {response.text}")
        return response.json()

    async def open_event(self) -> None:
        """Venue, event, ticket type, lifted velocity; high-demand, on sale in an hour."""
        address = {"city": "Nashville", "state": "TN", "zip": "37203"}
        await self.put(f"/api/v1/admin/venues/{self.venue}", {"name": "Arena", "address": address})
        await self.put(
            f"/api/v1/admin/events/{self.event}",
            {"venueId": self.venue, "name": "The big show", "startsAt": "2027-06-01T20:00:00Z"},
        )
        await self.put("/api/v1/admin/fraud/policy", LIFTED_VELOCITY)
        await self.put(
            f"/api/v1/admin/events/{self.event}/ticket-types/{self.ticket_type}",
            {"name": "General admission", "price": 5000, "currency": "USD", "capacity": 10**7},
        )
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        before = await self.put(
            self.settings_path, {**self.settings, "onSaleAt": later.isoformat()}
        )
        self.commitment = before["highDemand"]["seedCommitment"]

    async def join(self, buyers: Sequence[Buyer]) -> float:
        """Everyone joins before the sale; returns joins/s."""

        async def one(buyer: Buyer) -> None:
            response = await self.client.post(
                f"/api/v1/waiting-room/{self.event}/join", headers=buyer.headers
            )
            answer = response.json()
            if response.status_code != 200 or answer.get("state") != "before_sale":
                raise RuntimeError(f"join answered {response.status_code}: {response.text}")
            buyer.queue_id = answer["queueId"]

        started = time.perf_counter()
        await _bounded(self.concurrency, [functools.partial(one, b) for b in buyers])
        rate = len(buyers) / (time.perf_counter() - started)
        self.progress(f"{len(buyers)} joined ({rate:.0f}/s)")
        return rate

    async def draw(self, buyers: Sequence[Buyer]) -> None:
        """The on-sale, now: the draw orders everyone who joined; check it verifies."""
        now = dt.datetime.now(dt.UTC).isoformat()
        opened = await self.put(self.settings_path, {**self.settings, "onSaleAt": now})
        failures = self.checks["draw order"]
        if opened["highDemand"]["seedCommitment"] != self.commitment:
            failures.append("the seed commitment changed at the on-sale")
        fairness = (
            await self.client.get(
                f"/api/v1/waiting-room/{self.event}/fairness", headers=buyers[0].headers
            )
        ).json()
        self.order = fairness["presaleOrder"]
        if fairness["seed"] is None or not verify(fairness["seed"], self.commitment, self.order):
            failures.append("the published order is not the committed seed's draw")
        rank = {queue_id: place for place, queue_id in enumerate(self.order)}
        joined = {buyer.queue_id for buyer in buyers}
        strangers = set(rank) - joined
        if strangers:
            failures.append(f"{len(strangers)} drawn queue ids belong to nobody who joined")
        self.undrawn = [buyer for buyer in buyers if buyer.queue_id not in rank]
        for buyer in buyers:
            buyer.position = rank.get(buyer.queue_id, len(self.order))

    async def pay(self, buyer: Buyer, quantity: int, what: str) -> httpx.Response:
        response = await self.client.post(
            PROCESS,
            json=self.order_body(quantity, buyer.index),
            headers={
                **buyer.headers,
                "Idempotency-Key": str(uuid.uuid4()),
                "x-access-token": buyer.token or "",
            },
        )
        buyer.answers.append((what, response.status_code, _code(response)))
        return response

    def order_body(self, quantity: int, index: int) -> dict[str, object]:
        return {
            "venueId": self.venue,
            "eventId": self.event,
            "tickets": [{"ticketTypeId": self.ticket_type, "quantity": quantity, "price": 5000}],
            # Each buyer its own card and device, as in a real on-sale.
            "paymentMethod": {"type": "card", "paymentMethodId": f"pm_sim_onsale_{index:07d}"},
            "deviceFingerprint": f"onsale-device-{index}",
            "sessionData": human_session(self.rng, index),
        }

    async def serve(self, buyer: Buyer) -> None:
        """An admitted buyer pays (a greedy one first orders past the per-order limit)."""
        buyer.served = True
        if buyer.greedy:
            # More than one order may hold: refused, and the buyer is out of the room.
            over = await self.pay(buyer, LIMITS["perOrder"] + 1, "over the per-order limit")
            if (over.status_code, _code(over)) != (403, "PURCHASE_LIMIT_EXCEEDED"):
                self.checks["purchase limits"].append(
                    f"buyer {buyer.index} over the limit: {over.status_code} {_code(over)}"
                )
            after = await self.pay(buyer, 1, "after being refused")
            if after.status_code != 403:
                self.checks["purchase limits"].append(
                    f"buyer {buyer.index} paid after an over-limit order: {after.status_code}"
                )
            return
        paid = await self.pay(buyer, 1, "one ticket")
        if paid.status_code == 200 and paid.json()["transaction"]["status"] == "completed":
            buyer.paid_tickets += 1
        if buyer.index % REUSE_EVERY == 0:
            again = await self.pay(buyer, 1, "the spent token again")
            if (again.status_code, _code(again)) != (403, "INVALID_ACCESS_TOKEN"):
                self.checks["no token used twice"].append(
                    f"buyer {buyer.index} reused its token: {again.status_code} {_code(again)}"
                )

    async def poll(self, buyer: Buyer) -> None:
        self.polls += 1
        response = await self.client.get(
            f"/api/v1/waiting-room/{self.event}/status", headers=buyer.headers
        )
        answer = response.json()
        if response.status_code == 200 and answer.get("state") == "admitted":
            # Once spent, the token is not shown again (null): keep the one we were given.
            buyer.token = buyer.token or answer.get("accessToken")
        elif buyer.token is None and answer.get("state") == "not_in_queue":
            buyer.dropped = True  # (after paying, a buyer is not in the queue either)

    async def heartbeat(self, buyers: Sequence[Buyer]) -> None:
        """What every waiting browser does: poll its status again and again (the room
        drops an entry not polled within the heartbeat timeout). Sweeps the joined
        buyers still waiting and not in the wave loop's window, in line order, a sweep at
        most every half timeout, with connections of its own (browsers do not wait for each
        other's requests): when the buyers are dropped anyway, the server is the limit."""
        while True:
            swept = time.perf_counter()
            waiting = sorted(
                (
                    b
                    for b in buyers
                    if b.queue_id
                    and b.token is None
                    and not b.dropped
                    and b.index not in self.window
                ),
                key=lambda b: b.position,
            )
            if not waiting:
                await asyncio.sleep(0.5)
                continue
            await _bounded(self.concurrency, [functools.partial(self.poll, b) for b in waiting])
            period = self.heartbeat_seconds / 2
            await asyncio.sleep(max(0.0, period - (time.perf_counter() - swept)))

    async def waves(self, buyers: Sequence[Buyer]) -> tuple[int, float, float, float]:
        """Admission wave by wave: the next in line poll, the admitted pay (freeing their
        slots). Returns (waves, last admission, first and last payment times)."""
        self.buyers = buyers
        pending = sorted(buyers, key=lambda b: b.position)
        return await self._waves(pending, time.perf_counter())

    async def _waves(self, pending: list[Buyer], started: float) -> tuple[int, float, float, float]:
        waves, idle = 0, 0
        admitted_at = first_payment = last_payment = started
        while pending:
            window = pending[: self.slots * 2]
            self.window = {buyer.index for buyer in window}
            await _bounded(self.concurrency, [functools.partial(self.poll, b) for b in window])
            admitted = [b for b in window if b.token is not None and not b.served]
            dropped = [buyer for buyer in window if buyer.dropped]
            if dropped:
                pending[:] = [buyer for buyer in pending if not buyer.dropped]
            if not admitted and not pending:
                break
            if not admitted:
                idle += 1
                if idle > 50:
                    self.checks["every buyer served"].append(f"{len(pending)} never admitted")
                    break
                await asyncio.sleep(0.1)
                continue
            idle, waves = 0, waves + 1
            admitted_at = time.perf_counter()
            if waves == 1:
                first_payment = admitted_at
            self.check_admission_order(window, admitted, waves)
            await _bounded(self.concurrency, [functools.partial(self.serve, b) for b in admitted])
            last_payment = time.perf_counter()
            pending[:] = [b for b in pending if not b.served and not b.dropped]
            dropped_count = sum(1 for b in self.buyers if b.dropped)
            self.progress(
                f"wave {waves}: {len(admitted)} admitted, {len(pending)} waiting, "
                f"{dropped_count} dropped (not polled in time)"
            )
        return waves, admitted_at, first_payment, last_payment

    def check_admission_order(
        self, window: Sequence[Buyer], admitted: Sequence[Buyer], wave: int
    ) -> None:
        """Nobody still waiting in this window was drawn before one admitted."""
        for buyer in admitted:
            buyer.wave = wave
        first_waiting = min(
            (b.position for b in window if b.token is None and not b.dropped),
            default=len(self.order) + 1,
        )
        self.checks["draw order"].extend(
            f"buyer at place {buyer.position} admitted before place {first_waiting}"
            for buyer in admitted
            if buyer.position > first_waiting
        )

    async def gatecrash(
        self, gatecrasher_headers: Sequence[dict[str, str]], buyers: Sequence[Buyer]
    ) -> None:
        """Users who never joined pay with no token, then with a tampered one: refused."""
        real = next((b.token for b in buyers if b.token), None) or "x.y.z"
        forged = real[:-2] + ("AA" if not real.endswith("AA") else "BB")

        async def one(index: int, headers: dict[str, str]) -> None:
            body = self.order_body(1, 10_000_000 + index)
            for label, token in (("no token", None), ("tampered token", forged)):
                extra = {"x-access-token": token} if token else {}
                response = await self.client.post(
                    PROCESS,
                    json=body,
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4()), **extra},
                )
                if response.status_code != 403:
                    self.checks["no payment without a valid token"].append(
                        f"gatecrasher {index} with {label}: {response.status_code}"
                    )

        await _bounded(
            self.concurrency,
            [functools.partial(one, i, h) for i, h in enumerate(gatecrasher_headers)],
        )

    async def check_books(self, buyers: Sequence[Buyer]) -> None:
        """The ticket type sold what was paid for, nobody past a limit, everyone served."""
        listed = (
            await self.client.get(
                f"/api/v1/admin/events/{self.event}/ticket-types", headers=self.admin
            )
        ).json()["ticketTypes"][0]
        paid_tickets = sum(buyer.paid_tickets for buyer in buyers)
        if (listed["sold"], listed["held"]) != (paid_tickets, 0):
            self.checks["tickets sold = tickets paid"].append(
                f"sold {listed['sold']}, held {listed['held']}, paid for {paid_tickets}"
            )
        # A buyer missing from the draw is the room's doing only if the room dropped it
        # (its polls came too late); one the room still knew was drawn wrongly.
        wrongly = [buyer.index for buyer in self.undrawn if not buyer.dropped]
        if wrongly:
            self.checks["draw order"].append(
                f"{len(wrongly)} buyers joined, were never dropped, and are not in the draw"
                f" (first: {wrongly[:5]})"
            )
        dropped = sum(1 for buyer in buyers if buyer.dropped)
        if dropped:
            self.checks["every buyer served"].append(
                f"{dropped} buyers dropped from the room: their polls did not come within "
                "the heartbeat timeout"
            )
        for buyer in buyers:
            if buyer.paid_tickets > LIMITS["perUser"]:
                self.checks["purchase limits"].append(
                    f"buyer {buyer.index} has {buyer.paid_tickets}"
                )
            if not buyer.greedy and buyer.token is not None and buyer.paid_tickets != 1:
                self.checks["every buyer served"].append(f"buyer {buyer.index}: {buyer.answers}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--gatecrashers", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--heartbeat",
        type=int,
        default=60,
        help="the event's heartbeatSeconds: how often each waiting buyer must poll (15-900)",
    )
    args = parser.parse_args()
    tenant = str(uuid.uuid4())
    with tt_serve() as service:
        admin = {"Authorization": f"Bearer {issue_token(service.env, tenant)}"}
        print(f"signing {args.buyers + args.gatecrashers} buyer tokens ...", flush=True)
        tokens = issue_user_tokens(service, tenant, args.buyers + args.gatecrashers)
        headers = [{"Authorization": f"Bearer {token}"} for _, token in tokens]

        async def drive() -> OnSaleReport:
            # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes
            # them: reusing one the server is closing is a ReadError, not a refusal.
            # The heartbeat's connections and the waves'.
            limits = httpx.Limits(max_connections=2 * args.concurrency, keepalive_expiry=2)
            async with httpx.AsyncClient(base_url=service.url, timeout=60, limits=limits) as client:
                return await run_on_sale(
                    client,
                    admin=admin,
                    buyer_headers=headers[: args.buyers],
                    gatecrasher_headers=headers[args.buyers :],
                    slots=args.slots,
                    concurrency=args.concurrency,
                    heartbeat_seconds=args.heartbeat,
                    progress=lambda line: print(line, flush=True),
                )

        report = asyncio.run(drive())
    for line in report.lines():
        print(line)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
