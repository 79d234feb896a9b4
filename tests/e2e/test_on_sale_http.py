"""A small on-sale over HTTP: bench/on_sale.py's whole run with 500 buyers, asserting its
checks (admitted in draw order, purchase limits held, no payment without a valid token,
no token used twice, tickets sold = tickets paid), never its timings."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx

from tests.conftest import AuthHeaders
from tt_payments.auth.identity import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from on_sale import GREEDY_EVERY, run_on_sale


async def test_five_hundred_buyers_on_sale_in_waves_and_every_check_holds(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    buyers = 500
    report = await run_on_sale(
        client,
        admin=auth(Role.ADMIN),
        buyer_headers=[auth(user=uuid.uuid4()) for _ in range(buyers)],
        gatecrasher_headers=[auth(user=uuid.uuid4()) for _ in range(10)],
        slots=60,
        concurrency=8,
    )

    assert report.passed, "\n".join(report.lines())
    # Every buyer was admitted and served, in more than one wave: 60 slots for 500.
    assert report.paid == buyers - buyers // GREEDY_EVERY
    assert report.waves >= buyers // 60
