"""The Alembic migrations own the schema; these check what they build on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command

from tt_payments.db import migrate
from tt_payments.db.database import sqlalchemy_url
from tt_payments.db.tables import metadata

# Not keyed by tenant: Alembic's bookkeeping; the payment state machine, reference data
# every tenant shares (a Citus reference table, replicated rather than distributed); and
# the webhook inbox, keyed by the provider's event id because a delivery is deduplicated
# before its (verified) payload says which tenant it is for. It has a tenant_id column.
NOT_TENANT_DATA = {
    "alembic_version",
    "payment_state_machine",
    "webhook_inbox",
    "webhook_inbox_archive",
}


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_migrating_an_empty_database_reaches_head(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    before, after = migrate.upgrade(url)
    assert before is None
    assert after == migrate.head_revision() == migrate.current_revision(url)
    assert {
        "venues",
        "events",
        "payment_transactions",
        "payment_intents",
        "payment_refunds",
        "payment_state_machine",
        "payment_idempotency",
        "outbox",
        "outbox_dlq",
        "nft_mint_queue",
        "ledger_accounts",
        "ledger_entries",
        "ledger_postings",
        "webhook_inbox",
        "webhook_inbox_archive",
        "payment_event_sequence",
    } <= tables(url)


def test_migrating_twice_changes_nothing(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    assert migrate.upgrade(url) == (migrate.head_revision(), migrate.head_revision())


def test_every_table_has_tenant_id_leading_every_primary_and_unique_key(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as connection:
        without_tenant = connection.execute(
            """
            SELECT t.table_name FROM information_schema.tables t
            WHERE t.table_schema = 'public' AND NOT EXISTS (
                SELECT 1 FROM information_schema.columns c
                WHERE c.table_name = t.table_name AND c.column_name = 'tenant_id')
            """
        ).fetchall()
        keys = connection.execute(
            """
            SELECT con.conname, con.conrelid::regclass::text, a.attname
            FROM pg_constraint con
            JOIN pg_namespace n ON n.oid = con.connamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
            WHERE con.contype IN ('p', 'u')
            """
        ).fetchall()
    assert {row[0] for row in without_tenant} <= NOT_TENANT_DATA
    offending = [
        (name, table)
        for name, table, first in keys
        if table not in NOT_TENANT_DATA and first != "tenant_id"
    ]
    assert offending == []
    assert len(keys) >= 4


def test_core_table_descriptions_match_the_migrated_columns(database_url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.NullPool)
    try:
        inspector = sa.inspect(engine)
        for table in metadata.sorted_tables:
            migrated = {column["name"]: column for column in inspector.get_columns(table.name)}
            assert set(table.columns.keys()) <= set(migrated), table.name
            for column in table.columns:
                assert column.nullable == migrated[column.name]["nullable"], (
                    f"{table.name}.{column.name}"
                )
    finally:
        engine.dispose()


def test_amount_columns_are_bigint_minor_units(database_url: str) -> None:
    with psycopg.connect(database_url) as connection:
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = 'payment_transactions'"
            ).fetchall()
        )
    for column in ("amount", "platform_fee", "venue_payout", "gas_fee_paid", "tax_amount"):
        assert types[column] == "bigint"


def test_database_refuses_a_negative_amount(database_url: str) -> None:
    with psycopg.connect(database_url) as connection, pytest.raises(psycopg.errors.CheckViolation):
        connection.execute(
            "INSERT INTO payment_transactions (tenant_id, id, venue_id, user_id, event_id,"
            " amount, status, platform_fee, venue_payout) VALUES (gen_random_uuid(),"
            " gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),"
            " -1, 'completed', 0, 0)"
        )


def test_downgrading_to_nothing_and_back_up_works(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrate.upgrade(url)
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            config = migrate._config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
    finally:
        engine.dispose()
    assert tables(url) <= NOT_TENANT_DATA
    assert migrate.upgrade(url)[1] == migrate.head_revision()
