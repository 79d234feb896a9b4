"""Alembic environment: runs on the connection ``migrate.upgrade`` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection


def run_migrations_online() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `tt migrate`")
run_migrations_online()
