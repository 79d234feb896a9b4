"""Prebuilt statements run on psycopg itself, inside SQLAlchemy's pool and transactions.

The payment path's statements are built once with SQLAlchemy Core (the tables, the
types, the SQL are still Core's), compiled once for psycopg, and executed on the psycopg
connection under the SQLAlchemy connection the unit of work opened. That skips what
SQLAlchemy's async layer does on every call of a prebuilt statement: the greenlet switch,
the cache-key build and compiled-cache lookup, parameter and result processing. Measured
(issue 14, docs/PERFORMANCE.md): the service's process spent about half its CPU in
SQLAlchemy and psycopg, and the ceiling script's two transactions cost 1.6 ms of Python
per payment through SQLAlchemy against 0.9 ms on psycopg directly.

The transaction is still the SQLAlchemy connection's: ``engine.begin()`` commits or rolls
back the psycopg connection these statements ran on, so they commit together with any
SQLAlchemy statement of the same block. psycopg's errors are raised as SQLAlchemy's
(``IntegrityError``, ``OperationalError``, ...), so callers see one kind of error.

``pipeline`` sends the statements of a block without waiting for each answer (psycopg's
pipeline mode): results are read when asked for, or at the end of the block.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Pending", "Raw", "RawStatement", "on"]

_DIALECT = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]
_NO_VALUE = object()
T = TypeVar("T")


class RawStatement:
    """A Core statement compiled once (on first use) to psycopg's ``%(name)s`` SQL.

    ``keys``: for an INSERT of a whole table, the columns the callers give (as
    ``connection.execute(insert(table), values)`` would compile them). Parameters are
    bound by name; a JSON column's value is sent as JSONB. Expanding ``IN`` parameters
    are not supported: use ``= ANY(:param)`` with a list.
    """

    __slots__ = ("_binds", "_keys", "_sql", "_statement")

    def __init__(self, statement: sa.ClauseElement, keys: Sequence[str] | None = None) -> None:
        self._statement = statement
        self._keys = None if keys is None else list(keys)
        self._sql: str | None = None
        self._binds: tuple[tuple[str, str, object, bool], ...] = ()

    @property
    def sql(self) -> str:
        if self._sql is None:
            self._compile()
        assert self._sql is not None
        return self._sql

    def _compile(self) -> None:
        compiled = self._statement.compile(dialect=_DIALECT, column_keys=self._keys)
        assert isinstance(compiled, SQLCompiler)
        sql = compiled.string
        binds = []
        for name, bind in compiled.binds.items():
            if bind.expanding:
                raise ValueError(f"expanding parameter {name!r}: use = ANY(:{bind.key})")
            if f"%({name})s" not in sql:
                continue  # an alias of a parameter the SQL names otherwise
            literal = _NO_VALUE if bind.required else bind.effective_value
            binds.append((name, bind.key, literal, isinstance(bind.type, sa.JSON)))
        self._binds = tuple(binds)
        self._sql = sql

    def parameters(self, given: Mapping[str, object]) -> dict[str, object]:
        if self._sql is None:
            self._compile()
        bound: dict[str, object] = {}
        for name, key, literal, json in self._binds:
            value = given.get(key, literal)
            if value is _NO_VALUE:
                raise KeyError(f"statement parameter {key!r} was not given")
            if json and value is not None:
                value = Jsonb(value)
            bound[name] = value
        return bound


class Raw:
    """The psycopg connection under one SQLAlchemy connection, running ``RawStatement``."""

    __slots__ = ("_driver",)

    def __init__(self, driver: psycopg.AsyncConnection[Any]) -> None:
        self._driver = driver

    async def execute(self, statement: RawStatement, parameters: Mapping[str, object]) -> int:
        """Run it; the number of rows it touched. Not inside a ``pipeline``, where the
        count is not known yet: there, ``send`` it or read a RETURNING with ``cursor_of``."""
        async with self._cursor(statement, parameters) as cursor:
            return cursor.rowcount

    async def send(self, statement: RawStatement, parameters: Mapping[str, object]) -> None:
        """Run it, not waiting for its answer in a pipeline (an error surfaces at the next
        result read, or when the pipeline ends)."""
        async with self._cursor(statement, parameters):
            pass

    async def first(
        self, statement: RawStatement, parameters: Mapping[str, object]
    ) -> dict[str, Any] | None:
        """Its first row (column name -> value), or None."""
        async with self._cursor(statement, parameters) as cursor:
            return await cursor.fetchone()

    async def all(
        self, statement: RawStatement, parameters: Mapping[str, object]
    ) -> list[dict[str, Any]]:
        async with self._cursor(statement, parameters) as cursor:
            return await cursor.fetchall()

    async def cursor_of(self, statement: RawStatement, parameters: Mapping[str, object]) -> Pending:
        """Run it; its rows are read later (in a pipeline, reading waits for the answers
        of everything sent so far, in one round trip)."""
        sql = statement.sql
        cursor = self._driver.cursor(row_factory=dict_row)
        try:
            await cursor.execute(sql, statement.parameters(parameters))
        except psycopg.Error as error:
            raise _translated(error, sql) from error
        return Pending(cursor, sql)

    @contextlib.asynccontextmanager
    async def pipeline(self) -> AsyncIterator[None]:
        """Send the block's statements without waiting for each answer."""
        try:
            async with self._driver.pipeline():
                yield
        except psycopg.Error as error:
            raise _translated(error, "pipeline") from error

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on a connection in autocommit (a read connection): inside a
        ``pipeline`` its BEGIN, statements and COMMIT go out together."""
        try:
            async with self._driver.transaction():
                yield
        except psycopg.Error as error:
            raise _translated(error, "transaction") from error

    @contextlib.asynccontextmanager
    async def _cursor(
        self, statement: RawStatement, parameters: Mapping[str, object]
    ) -> AsyncIterator[psycopg.AsyncCursor[dict[str, Any]]]:
        sql = statement.sql
        try:
            async with self._driver.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(sql, statement.parameters(parameters))
                yield cursor
        except psycopg.Error as error:
            raise _translated(error, sql) from error


class Pending:
    """The rows of a statement sent with ``Raw.cursor_of``."""

    __slots__ = ("_cursor", "_sql")

    def __init__(self, cursor: psycopg.AsyncCursor[dict[str, Any]], sql: str) -> None:
        self._cursor = cursor
        self._sql = sql

    async def fetchone(self) -> dict[str, Any] | None:
        return await self._read(self._cursor.fetchone)

    async def fetchall(self) -> list[dict[str, Any]]:
        return await self._read(self._cursor.fetchall)

    async def _read(self, fetch: Callable[[], Awaitable[T]]) -> T:
        """``fetch`` (in a pipeline it waits for the answers), its error as SQLAlchemy's;
        the cursor is closed after."""
        try:
            return await fetch()
        except psycopg.Error as error:
            raise _translated(error, self._sql) from error
        finally:
            await self._cursor.close()


async def on(connection: AsyncConnection) -> Raw:
    """``Raw`` for the psycopg connection under ``connection`` (checked out, in its
    transaction if it began one)."""
    pooled = await connection.get_raw_connection()
    return Raw(pooled.driver_connection)  # type: ignore[arg-type]


def _translated(error: psycopg.Error, sql: str) -> sa.exc.DBAPIError:
    translated = sa.exc.DBAPIError.instance(sql, None, error, psycopg.Error, dialect=_DIALECT)
    assert isinstance(translated, sa.exc.DBAPIError)
    return translated
