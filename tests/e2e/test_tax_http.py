"""Tax compliance over HTTP against real PostgreSQL: POST /internal/calculate-tax, the
tax a payment collects and a refund gives back, nexus crossings, Forms 1099-DA and
their PDF, and `tt tax nexus` / `tt tax forms generate`."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator

import attrs
import httpx
import pypdf
import pytest
import sqlalchemy as sa

from tests.conftest import AuthHeaders, service_with
from tests.e2e.processes import cli_env, tt
from tests.e2e.test_internal_auth_http import signed
from tests.e2e.test_process_payment_http import PROCESS, body, keyed, venue_and_event
from tt_payments import Container, Overrides, Settings
from tt_payments.auth.identity import Role
from tt_payments.db.tables.outbox import outbox
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.db.tables.tax import tax_collection_reversals, tax_collections, tax_nexus_totals
from tt_tax import Disposition, Payee

CALCULATE_TAX = "/internal/calculate-tax"
NASHVILLE = {"street": "116 5th Ave N", "city": "Nashville", "state": "TN", "zip": "37219"}
TIN = "123-45-6789"
MIDSUMMER = dt.datetime(2025, 7, 15, 17, 0, tzinfo=dt.UTC)


async def calculate_tax(client: httpx.AsyncClient, payload: dict[str, object]) -> httpx.Response:
    raw = json.dumps(payload).encode()
    return await client.post(CALCULATE_TAX, content=raw, headers=signed(raw, path=CALCULATE_TAX))


async def test_nashville_before_february_2025_is_700_225_100(client: httpx.AsyncClient) -> None:
    # Given $100.00 at a Nashville venue on 2025-01-15 (before the transit surcharge)
    payload = {"amount": 10000, "venueAddress": NASHVILLE, "transactionDate": "2025-01-15"}
    # When another service asks over a signed request
    response = await calculate_tax(client, payload)
    # Then the spec's numbers come back
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["stateTax"], answer["localTax"], answer["specialTax"]) == (700, 225, 100)
    assert answer["totalTax"] == 1025
    assert answer["taxableAmount"] == 10000
    assert answer["taxSource"] == "tables"
    assert answer["breakdown"]["state"] == {
        "name": "Tennessee Sales Tax",
        "rate": 7,
        "amount": 700,
        "jurisdiction": "TN",
    }
    assert answer["breakdown"]["local"]["rate"] == 2.25
    assert answer["breakdown"]["special"]["name"] == "Entertainment Tax"


async def test_calculate_tax_by_venue_id_uses_the_venues_address(
    client: httpx.AsyncClient, auth: AuthHeaders, tenant: uuid.UUID
) -> None:
    venue, _ = await venue_and_event(client, auth)
    payload = {
        "amount": 10000,
        "venueId": venue,
        "tenantId": str(tenant),
        "transactionDate": "2025-03-01",
    }
    response = await calculate_tax(client, payload)
    assert response.status_code == 200, response.text
    assert response.json()["localTax"] == 275  # 2.75% from 2025-02-01
    no_tenant = await calculate_tax(client, {"amount": 100, "venueId": venue})
    assert no_tenant.status_code == 422
    unknown = await calculate_tax(
        client, {"amount": 100, "venueId": str(uuid.uuid4()), "tenantId": str(tenant)}
    )
    assert unknown.status_code == 404


async def test_calculate_tax_refuses_unsigned_and_bad_addresses(
    client: httpx.AsyncClient,
) -> None:
    payload = {"amount": 10000, "venueAddress": NASHVILLE}
    unsigned = await client.post(CALCULATE_TAX, json=payload)
    assert unsigned.status_code == 401
    bad = await calculate_tax(client, {"amount": 1, "venueAddress": {**NASHVILLE, "zip": "3721x"}})
    assert bad.status_code == 422
    assert "venueAddress" in bad.text


async def test_calculate_fees_reports_its_tax_source(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    venue, _ = await venue_and_event(client, auth)
    response = await client.post(
        "/api/v1/payments/calculate-fees",
        json={"venueId": venue, "amount": 10000, "ticketCount": 1},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["taxSource"] == "tables"


async def rows(container: Container, query: sa.Select[tuple[object, ...]]) -> list[sa.Row[object]]:
    async with container.infrastructure.engine.connect() as connection:
        return list((await connection.execute(query)).all())


async def paid(client: httpx.AsyncClient, auth: AuthHeaders, venue: str, event: str) -> str:
    response = await client.post(PROCESS, json=body(venue, event), headers=keyed(auth()))
    assert response.status_code == 200, response.text
    return str(response.json()["transaction"]["id"])


async def test_a_payment_records_its_tax_and_refunds_reverse_it_to_the_cent(
    client: httpx.AsyncClient, auth: AuthHeaders, container: Container, tenant: uuid.UUID
) -> None:
    # Given a paid $100.00 order at a Nashville venue
    venue, event = await venue_and_event(client, auth)
    payment = uuid.UUID(await paid(client, auth, venue, event))
    # Then its tax collection was written with it
    (collection,) = await rows(
        container,
        sa.select(tax_collections).where(
            tax_collections.c.tenant_id == tenant, tax_collections.c.payment_id == payment
        ),
    )
    assert collection.taxable_amount == 10000
    assert collection.state == "TN"
    assert collection.tax_source == "tables"
    assert collection.total_tax == (
        collection.state_tax + collection.local_tax + collection.special_tax
    )
    assert [line["kind"] for line in collection.lines] == ["state", "local", "special"]
    assert sum(line["amount"] for line in collection.lines) == collection.total_tax

    # When it is refunded in three uneven parts
    ((total,),) = await rows(
        container,
        sa.select(payment_transactions.c.total_amount).where(
            payment_transactions.c.tenant_id == tenant, payment_transactions.c.id == payment
        ),
    )
    parts = [3333, 4444, int(str(total)) - 3333 - 4444]
    for part in parts:
        response = await client.post(
            f"/api/v1/payments/transaction/{payment}/refund",
            json={"amount": part, "reason": "requested_by_customer"},
            headers=keyed(auth(Role.ADMIN)),
        )
        assert response.status_code == 200, response.text

    # Then each refund reversed its share, and together they reverse exactly what was
    # collected, line by line
    reversals = await rows(
        container,
        sa.select(tax_collection_reversals).where(
            tax_collection_reversals.c.tenant_id == tenant,
            tax_collection_reversals.c.payment_id == payment,
        ),
    )
    assert len(reversals) == 3
    first = min(reversals, key=lambda row: row.total_tax)
    assert 0 < first.total_tax < collection.total_tax
    for layer in ("state_tax", "local_tax", "special_tax", "total_tax"):
        assert sum(getattr(row, layer) for row in reversals) == getattr(collection, layer)
    for index, line in enumerate(collection.lines):
        assert sum(row.lines[index]["amount"] for row in reversals) == line["amount"]


@attrs.frozen
class Pinned:
    container: Container
    client: httpx.AsyncClient


@pytest.fixture
async def midsummer(settings: Settings) -> AsyncIterator[Pinned]:
    """The API on a container whose clock stands still in mid-July: the sales of one test
    fall in one tax year however long the test takes (on the real clock, a test running
    at New Year in Nashville would date its sales in two years)."""
    async with service_with(settings, Overrides(clock=lambda: MIDSUMMER)) as (pinned, http):
        yield Pinned(pinned, http)


async def test_the_sale_that_crosses_a_states_threshold_emits_one_event(
    client: httpx.AsyncClient, auth: AuthHeaders, midsummer: Pinned, tenant: uuid.UUID
) -> None:
    # Given a tenant $50.00 short of Tennessee's $100,000 threshold this year
    container = midsummer.container
    venue, event = await venue_and_event(client, auth)
    first = await paid(midsummer.client, auth, venue, event)
    (collection,) = await rows(
        container,
        sa.select(tax_collections.c.tax_date).where(tax_collections.c.tenant_id == tenant),
    )
    year = collection.tax_date.year
    assert year == MIDSUMMER.year
    # (earlier sales this year, collected before the first)
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.insert(tax_collections).values(
                tenant_id=tenant,
                payment_id=uuid.uuid4(),
                venue_id=uuid.uuid4(),
                state="TN",
                jurisdiction="TN-DAVIDSON-NASHVILLE",
                currency="USD",
                taxable_amount=10_000_000 - 15_000,
                state_tax=0,
                local_tax=0,
                special_tax=0,
                total_tax=0,
                lines=[],
                tax_source="tables",
                tax_date=collection.tax_date,
                collected_at=dt.datetime(year, 1, 1, tzinfo=dt.UTC),
            )
        )
    # When two more $100.00 sales are made (each at its own event: purchase limits)
    crossing = await paid(midsummer.client, auth, *await venue_and_event(client, auth))
    await paid(midsummer.client, auth, *await venue_and_event(client, auth))
    # And the nexus job runs (twice: a rerun announces nothing again)
    assert await container.tax_compliance.track_nexus() == 1
    assert await container.tax_compliance.track_nexus() == 0
    # Then only the first of them emitted tax.nexus_threshold_crossed
    events = await rows(
        container,
        sa.select(outbox.c.payload).where(
            outbox.c.tenant_id == tenant, outbox.c.event_type == "tax.nexus_threshold_crossed"
        ),
    )
    assert len(events) == 1
    payload = events[0].payload
    assert payload["paymentId"] == crossing != first
    assert (payload["state"], payload["year"]) == ("TN", year)
    assert payload["salesCents"] == 10_000_000 - 15_000 + 3 * 10_000
    (totals,) = await rows(
        container, sa.select(tax_nexus_totals).where(tax_nexus_totals.c.tenant_id == tenant)
    )
    assert totals.transactions == 4
    assert totals.crossed_at is not None


def sale(user: uuid.UUID, cents: int, day: dt.date, token: str) -> Disposition:
    return Disposition(
        user_id=str(user),
        token_id=token,
        asset_code="TT-NFT",
        asset_name="Ryman ticket",
        acquired_on=day - dt.timedelta(days=30),
        sold_on=day,
        gross_proceeds_cents=cents,
        cost_basis_cents=cents // 2,
    )


async def test_a_form_is_due_above_600_dollars_and_its_pdf_shows_the_proceeds(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    tenant: uuid.UUID,
    settings: Settings,
) -> None:
    compliance = container.tax_compliance
    at_600, over_600 = uuid.uuid4(), uuid.uuid4()
    # Given one seller with exactly $600.00 of resales in 2025 and one with $600.01
    for user, amounts in ((at_600, (40000, 20000)), (over_600, (40000, 20001))):
        await compliance.put_payee(
            tenant, user, Payee(name="Pat Seller", tin=TIN, address="1 Main St\nNashville TN")
        )
        for number, cents in enumerate(amounts):
            recorded = await compliance.record_disposition(
                tenant,
                uuid.uuid5(user, str(number)),
                sale(user, cents, dt.date(2025, 3 + number, 10), f"tok-{number}"),
            )
            assert recorded
    assert not await compliance.record_disposition(
        tenant, uuid.uuid5(over_600, "0"), sale(over_600, 40000, dt.date(2025, 3, 10), "tok-0")
    )
    # And a seller over the threshold without payee details
    nameless = uuid.uuid4()
    await compliance.record_disposition(
        tenant, uuid.uuid4(), sale(nameless, 70000, dt.date(2025, 6, 1), "tok-x")
    )

    # When the forms for 2025 are generated from the shell, twice
    env = cli_env(settings)
    args = ("tax", "forms", "generate", "--tenant", str(tenant), "--year", "2025", "--json")
    first = tt(env, *args)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout.strip().splitlines()[-1])
    assert report["created"] == 1
    assert report["notRequired"] == 1
    assert report["missingPayee"] == [str(nameless)]
    again = tt(env, *args)
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout.strip().splitlines()[-1])
    assert (rerun["created"], rerun["updated"], rerun["unchanged"]) == (0, 0, 1)
    plain = tt(env, *args[:-1])
    assert plain.returncode == 0, plain.stderr
    assert "unchanged 1" in plain.stdout

    # Then $600.00 gets no form
    none = await client.get("/api/v1/compliance/tax-forms/2025", headers=auth(user=at_600))
    assert none.status_code == 200, none.text
    assert none.json() == {"required": False, "form": None, "downloadUrl": None}
    missing_pdf = await client.get(
        "/api/v1/compliance/tax-forms/2025/pdf", headers=auth(user=at_600)
    )
    assert missing_pdf.status_code == 404

    # And $600.01 gets one, with the TIN masked to its last four digits
    response = await client.get("/api/v1/compliance/tax-forms/2025", headers=auth(user=over_600))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["required"] is True
    assert answer["form"]["recipientInfo"]["tin"] == "***-**-6789"
    assert answer["form"]["summary"] == {
        "totalProceeds": 60001,
        "totalCostBasis": 20000 + 10000,
        "totalGain": 60001 - 30000,
        "transactionCount": 2,
    }
    assert "123456789" not in response.text
    assert TIN not in response.text
    pdf = await client.get(answer["downloadUrl"], headers=auth(user=over_600))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "600.01" in text
    assert "***-**-6789" in text
    assert "123-45-6789" not in text
    assert "123456789" not in text

    # And another user cannot fetch it: each user sees only their own
    stranger = await client.get(answer["downloadUrl"], headers=auth())
    assert stranger.status_code == 404

    summary = await client.get("/api/v1/compliance/tax-summary", headers=auth(user=over_600))
    assert summary.status_code == 200, summary.text
    (year,) = summary.json()["years"]
    assert (year["year"], year["status"], year["required"]) == (2025, "generated", True)
    assert year["summary"] == {"totalProceeds": 60001, "transactionCount": 2}
    below = await client.get("/api/v1/compliance/tax-summary", headers=auth(user=at_600))
    assert below.json()["years"][0]["status"] == "not_required"


async def test_tt_tax_nexus_shows_the_states_totals(
    client: httpx.AsyncClient, auth: AuthHeaders, settings: Settings, tenant: uuid.UUID
) -> None:
    venue, event = await venue_and_event(client, auth)
    await paid(client, auth, venue, event)
    env = cli_env(settings)
    listed = tt(env, "tax", "nexus", "--tenant", str(tenant), "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["state"], row["salesCents"], row["transactions"]) == ("TN", 10000, 1)
    assert row["thresholdSalesCents"] == 10_000_000
    assert row["met"] is False
    table = tt(env, "tax", "nexus", "--tenant", str(tenant))
    assert table.returncode == 0, table.stderr
    assert "TN" in table.stdout
    assert "$100000.00" in table.stdout
    nothing = tt(env, "tax", "nexus", "--tenant", str(uuid.uuid4()))
    assert "no taxed sales recorded" in nothing.stdout
