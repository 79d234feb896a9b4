"""The purchase-limit counts read one index range each, however stale the statistics.

Every purchase of an event counts, under a lock, the tickets its buyer, its card and its
address already hold. When PostgreSQL thinks the event is rare (a table never analyzed, or
analyzed before the on-sale began) every index that starts with the event looks as cheap
as the right one, and a wrong pick walks all of the event's payments on every purchase
(issue 14: 2.3 ms per purchase after 1,500, growing). These tests fill one event with
2,000 payments and read the plan PostgreSQL really runs, custom and generic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.integration.plans import custom_plan, driver_url, generic_plan
from tt_payments.db import migrate
from tt_payments.payments import sql as payments_sql

PAYMENTS = 2_000
# What a count may read: the buyer's, the card's and the address's own rows (one or two
# each here), never the event's 2,000.
MOST_ROWS_READ = 10


@pytest.fixture(params=["never analyzed", "analyzed before the on-sale"])
def crowded_event(
    request: pytest.FixtureRequest, fresh_database: Callable[[], str]
) -> Iterator[tuple[psycopg.Connection[Any], dict[str, Any]]]:
    url = fresh_database()
    migrate.upgrade(url)
    tenant, event = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(driver_url(url), autocommit=True) as connection:
        insert = """
            INSERT INTO payment_transactions (tenant_id, id, venue_id, user_id, event_id,
                amount, currency, status, platform_fee, venue_payout, ticket_count,
                payment_method_id, address_fingerprint)
            SELECT %(tenant)s, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
                %(event)s, 5000, 'USD', 'completed', 250, 5000, 1,
                'pm_' || n, CASE WHEN n %% 2 = 0 THEN 'addr-' || n END
            FROM generate_series(%(first)s::int, %(last)s::int) AS n
        """
        if request.param == "analyzed before the on-sale":
            # The statistics see another event's few sales, and none of this one's.
            connection.execute(
                insert, {"tenant": tenant, "event": uuid.uuid4(), "first": 1, "last": 20}
            )
            connection.execute("ANALYZE payment_transactions")
        connection.execute(
            insert, {"tenant": tenant, "event": event, "first": 100, "last": 99 + PAYMENTS}
        )
        buyer = connection.execute(
            "SELECT user_id, payment_method_id, address_fingerprint FROM payment_transactions"
            " WHERE event_id = %s AND address_fingerprint IS NOT NULL LIMIT 1",
            (event,),
        ).fetchone()
        assert buyer is not None
        parameters = {
            "tenant_id": tenant,
            "event_id": event,
            "id": uuid.uuid4(),
            "user_id": buyer[0],
            "method": buyer[1],
            "address": buyer[2],
            "holding": list(payments_sql._HOLDING),
        }
        yield connection, parameters


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Relation Name" in plan:
        yield plan
    for child in plan.get("Plans", ()):
        yield from _scans(child)


def _assert_each_count_reads_its_own_rows(plan: dict[str, Any]) -> None:
    scans = list(_scans(plan))
    assert len(scans) == 3, scans
    for scan in scans:
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        read += scan.get("Rows Removed by Index Recheck", 0)
        assert read <= MOST_ROWS_READ, (scan["Node Type"], scan.get("Index Name"), read)


def _counts(connection: psycopg.Connection[Any], parameters: dict[str, Any]) -> tuple[int, ...]:
    statement = payments_sql._TICKETS_HELD
    row = connection.execute(statement.sql, statement.parameters(parameters)).fetchone()
    assert row is not None
    return tuple(row)


def test_the_counts_are_right(
    crowded_event: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = crowded_event
    assert _counts(connection, parameters) == (1, 1, 1)
    assert _counts(connection, {**parameters, "address": None}) == (1, 1, 0)


def test_the_custom_plan_reads_one_range_per_count(
    crowded_event: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = crowded_event
    plan = custom_plan(connection, payments_sql._TICKETS_HELD, parameters)
    _assert_each_count_reads_its_own_rows(plan)


def test_the_generic_plan_reads_one_range_per_count(
    crowded_event: tuple[psycopg.Connection[Any], dict[str, Any]],
) -> None:
    connection, parameters = crowded_event
    plan = generic_plan(connection, payments_sql._TICKETS_HELD, parameters)
    _assert_each_count_reads_its_own_rows(plan)
