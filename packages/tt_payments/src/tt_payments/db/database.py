"""The PostgreSQL engine: one async SQLAlchemy engine per process, psycopg 3 underneath."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tt_payments.settings import SettingsError

Engine = AsyncEngine
Connection = AsyncConnection


def sqlalchemy_url(url: str) -> str:
    """``postgresql://...`` as given by operators, with the psycopg 3 driver named."""
    try:
        parsed = make_url(url)
    except Exception as error:  # sqlalchemy raises ArgumentError and ValueError alike
        raise SettingsError(f"TT_DATABASE_URL is not a database URL: {error}") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise SettingsError("TT_DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at the database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool with each connection in autocommit, for reads and for a write that is
    one statement on its own: it costs its statement's round trip alone, not a BEGIN and a
    COMMIT or ROLLBACK around it as well (two of the three round trips of a one-statement
    read, measured on the payment path). Each statement still sees one snapshot, as under
    READ COMMITTED; never use it for writes that must commit together."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
