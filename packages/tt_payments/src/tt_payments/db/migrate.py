"""Apply the Alembic migrations, under an advisory lock so concurrent starters take turns."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tt_payments.db.database import sqlalchemy_url

_SCRIPT_LOCATION = Path(__file__).with_name("migrations")
# An arbitrary constant that names "schema migrations" among this database's advisory locks.
_MIGRATION_LOCK_KEY = 0x74745F6D6967


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("the migration scripts have no head revision")
    return head


def current_revision(database_url: str) -> str | None:
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            # A session-level lock outlives the transaction that took it; commit so that
            # Alembic starts from a clean connection.
            connection.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_KEY)))
            connection.commit()
            try:
                before = MigrationContext.configure(connection).get_current_revision()
                config = _config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_KEY)))
                connection.commit()
    finally:
        engine.dispose()
    return before, head_revision()
