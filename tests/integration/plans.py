"""The plans PostgreSQL really runs for a ``RawStatement``: custom, and generic (what a
prepared statement may run for any values after five executions)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg

from tt_payments.db import raw
from tt_payments.db.database import sqlalchemy_url


def driver_url(url: str) -> str:
    """``url`` as psycopg takes it."""
    return sqlalchemy_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of ``plan``, itself first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def custom_plan(
    connection: psycopg.Connection[Any],
    statement: raw.RawStatement,
    parameters: Mapping[str, object],
) -> dict[str, Any]:
    """EXPLAIN ANALYZE of ``statement`` with ``parameters``, rolled back."""
    with connection.transaction(force_rollback=True):
        row = connection.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql, statement.parameters(parameters)
        ).fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def generic_plan(
    connection: psycopg.Connection[Any],
    statement: raw.RawStatement,
    parameters: Mapping[str, object],
) -> dict[str, Any]:
    """EXPLAIN ANALYZE of ``statement`` prepared and forced to its generic plan, rolled
    back (the connection keeps ``plan_cache_mode = force_generic_plan``)."""
    bound = statement.parameters(parameters)
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    sql = re.sub(r"%\((\w+)\)s", placeholder, statement.sql).replace("%%", "%")
    connection.execute("PREPARE planned AS " + sql)
    connection.execute("SET plan_cache_mode = force_generic_plan")
    arguments = ", ".join(["%s"] * len(names))
    with connection.transaction(force_rollback=True):
        # EXECUTE takes its arguments as literals: bound on the client.
        row = (
            psycopg.ClientCursor(connection)
            .execute(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE planned({arguments})",
                [bound[name] for name in names],
            )
            .fetchone()
        )
    connection.execute("DEALLOCATE planned")
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan
