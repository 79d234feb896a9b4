"""A payment's status change finds its row by its key, however stale the statistics.

Every settlement moves one payment from ``processing`` on (``_transition_statement``).
The index on (tenant_id, status) keeps an entry for every row version that was ever
``processing`` until VACUUM removes it; when the statistics still describe a small table
(the bench's table, never analyzed), PostgreSQL ANDed that index with the key and walked
all of them: 17.7 ms a settlement after 100,000 payments (issue 14,
docs/PERFORMANCE.md). These tests settle 2,000 payments without a VACUUM, then read the
plan PostgreSQL really runs for the next one, custom and generic.

At this size the planner picks the key on its own, with the guard or without it: the
statistics of the bench's 100,000 wide rows, which made it pick the status index, are not
rebuilt here. What keeps it from ever picking that index is the guard's form, which
``test_the_status_guard_is_no_index_condition`` holds to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.integration.plans import custom_plan, driver_url, generic_plan, nodes
from tt_payments.db import migrate
from tt_payments.payments import sql as payments_sql

PAYMENTS = 2_000
MOST_ROWS_READ = 10
"""What finding one payment may read: its own row version or two, never the 2,000."""
SOURCES = ("processing", "requires_action")
COLUMNS = ("stripe_payment_intent_id",)


@pytest.fixture(
    params=["never analyzed", "analyzed before the on-sale", "analyzed after the settlements"]
)
def settled_on_sale(
    request: pytest.FixtureRequest, fresh_database: Callable[[], str]
) -> Iterator[tuple[psycopg.Connection[Any], dict[str, Any]]]:
    url = fresh_database()
    migrate.upgrade(url)
    tenant = uuid.uuid4()
    # As wide as a real payment's row (its metadata: tickets, fees, session signals), which
    # is what makes a never-analyzed table look bigger than it is.
    metadata = json.dumps({"tickets": [{"holdId": str(uuid.uuid4())}], "notes": "x" * 600})
    insert = """
        INSERT INTO payment_transactions (tenant_id, id, venue_id, user_id, event_id,
            amount, currency, status, platform_fee, venue_payout, ticket_count,
            device_fingerprint, payment_method_id, idempotency_key, metadata)
        SELECT %(tenant)s, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
            gen_random_uuid(), 5000, 'USD', %(status)s, 250, 5000, 1,
            'device-' || md5(random()::text), 'pm_sim_' || md5(random()::text),
            gen_random_uuid(), %(metadata)s::jsonb
        FROM generate_series(1, %(count)s::int)
    """
    with psycopg.connect(driver_url(url), autocommit=True) as connection:
        if request.param == "analyzed before the on-sale":
            connection.execute(
                insert, {"tenant": tenant, "status": "completed", "count": 20, "metadata": metadata}
            )
            connection.execute("ANALYZE payment_transactions")
        # The on-sale: each payment recorded processing, then settled (no VACUUM between).
        connection.execute(
            insert,
            {"tenant": tenant, "status": "processing", "count": PAYMENTS, "metadata": metadata},
        )
        connection.execute(
            "UPDATE payment_transactions SET status = 'completed' WHERE status = 'processing'"
        )
        if request.param == "analyzed after the settlements":
            # What autovacuum's ANALYZE sees mid on-sale: processing is rare among the live
            # rows, while the index still lists every dead processing version.
            connection.execute("ANALYZE payment_transactions")
        # The next payment, recorded processing.
        payment = connection.execute(
            insert + " RETURNING id",
            {"tenant": tenant, "status": "processing", "count": 1, "metadata": metadata},
        ).fetchone()
        assert payment is not None
        parameters = {
            "w_tenant_id": tenant,
            "w_id": payment[0],
            "w_sources": list(SOURCES),
            "v_status": "completed",
            "v_stripe_payment_intent_id": "pi_sim_next",
        }
        yield connection, parameters


def _assert_one_payment_read(plan: dict[str, Any]) -> None:
    scans = [node for node in nodes(plan) if "Index Name" in node or "Relation Name" in node]
    assert scans, plan
    for scan in scans:
        if scan["Node Type"] == "ModifyTable":
            continue
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        read += scan.get("Rows Removed by Index Recheck", 0)
        assert read <= MOST_ROWS_READ, (scan["Node Type"], scan.get("Index Name"), read)
    found = [scan["Actual Rows"] for scan in scans if scan["Node Type"] != "ModifyTable"]
    assert 1 in found, f"the payment was found by one of the scans: {scans}"


@pytest.mark.parametrize("sources", [SOURCES, ("completed",), ("completed", "disputed")])
def test_the_status_guard_is_no_index_condition(sources: tuple[str, ...]) -> None:
    sql = payments_sql._transition_statement(sources, COLUMNS).sql
    assert "(payment_transactions.status || '') = ANY" in sql
    assert "payment_transactions.status = ANY" not in sql


def test_the_transition_moves_only_a_payment_in_a_source_state(
    settled_on_sale: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = settled_on_sale
    statement = payments_sql._transition_statement(SOURCES, COLUMNS)
    with connection.transaction(force_rollback=True):
        moved = connection.execute(statement.sql, statement.parameters(parameters))
        assert moved.rowcount == 1
        again = connection.execute(statement.sql, statement.parameters(parameters))
        assert again.rowcount == 0, "a completed payment is not in a source state"


def test_the_custom_plan_reads_one_payment(
    settled_on_sale: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = settled_on_sale
    statement = payments_sql._transition_statement(SOURCES, COLUMNS)
    _assert_one_payment_read(custom_plan(connection, statement, parameters))


def test_the_generic_plan_reads_one_payment(
    settled_on_sale: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = settled_on_sale
    statement = payments_sql._transition_statement(SOURCES, COLUMNS)
    _assert_one_payment_read(generic_plan(connection, statement, parameters))
