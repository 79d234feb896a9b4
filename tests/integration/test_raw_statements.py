"""Prebuilt statements on psycopg under SQLAlchemy's transactions (tt_payments.db.raw)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_payments.db import raw
from tt_payments.db.database import autocommit, create_engine

_metadata = sa.MetaData()
_things = sa.Table(
    "raw_things",
    _metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("doc", JSONB),
)
_INSERT = raw.RawStatement(
    insert(_things).values(status="new").on_conflict_do_nothing().returning(_things.c.id),
    keys=("id", "name", "doc"),
)
_PLAIN_INSERT = raw.RawStatement(sa.insert(_things), keys=("id", "name", "status", "doc"))
_BY_ID = raw.RawStatement(sa.select(_things).where(_things.c.id == sa.bindparam("id")))
_RENAME = raw.RawStatement(
    sa.update(_things)
    .where(_things.c.status == "new")
    .values(name=sa.bindparam("new_name"), status="renamed")
    .returning(_things.c.id)
)


@pytest.fixture
async def engine(fresh_database: Callable[[], str]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fresh_database(), pool_size=2)
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    yield engine
    await engine.dispose()


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(sa.select(sa.func.count()).select_from(_things))).scalar_one()
        )


async def test_parameters_literals_and_json_round_trip(engine: AsyncEngine) -> None:
    thing = uuid.uuid4()
    async with engine.begin() as connection:
        driver = await raw.on(connection)
        assert await driver.first(_INSERT, {"id": thing, "name": "a", "doc": {"k": [1, 2]}})
        # The conflict: nothing returned, nothing written.
        assert await driver.first(_INSERT, {"id": thing, "name": "b", "doc": None}) is None
    async with autocommit(engine).connect() as connection:
        row = await (await raw.on(connection)).first(_BY_ID, {"id": thing})
    assert row == {"id": thing, "name": "a", "status": "new", "doc": {"k": [1, 2]}}


async def test_a_missing_parameter_is_refused_before_anything_is_sent(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        with pytest.raises(KeyError, match="name"):
            await (await raw.on(connection)).first(_INSERT, {"id": uuid.uuid4(), "doc": None})


def test_expanding_parameters_are_refused() -> None:
    statement = raw.RawStatement(sa.select(_things).where(_things.c.name.in_(["a", "b"])))
    with pytest.raises(ValueError, match="ANY"):
        _ = statement.sql


async def insert_all(engine: AsyncEngine, rows: list[dict[str, object]]) -> None:
    """One statement at a time, in one transaction."""
    async with engine.begin() as connection:
        driver = await raw.on(connection)
        for values in rows:
            await driver.execute(_PLAIN_INSERT, values)


async def insert_pipelined(engine: AsyncEngine, rows: list[dict[str, object]]) -> None:
    """All in one round trip: BEGIN, the inserts, COMMIT."""
    async with autocommit(engine).connect() as connection:
        driver = await raw.on(connection)
        async with driver.pipeline(), driver.transaction():
            for values in rows:
                await driver.send(_PLAIN_INSERT, values)


def rows(count: int) -> list[dict[str, object]]:
    return [
        {"id": uuid.uuid4(), "name": f"n{i}", "status": "new", "doc": None} for i in range(count)
    ]


async def test_errors_are_sqlalchemys_and_roll_the_transaction_back(engine: AsyncEngine) -> None:
    first, second = rows(2)
    with pytest.raises(sa.exc.IntegrityError):
        await insert_all(engine, [first, second, first])  # the same id twice
    assert await count(engine) == 0


async def test_a_pipelined_transaction_commits_whole_or_not_at_all(engine: AsyncEngine) -> None:
    ok = rows(3)
    await insert_pipelined(engine, ok)
    assert await count(engine) == 3
    with pytest.raises(sa.exc.IntegrityError):
        await insert_pipelined(engine, [*rows(1), ok[1]])  # the second is there already
    assert await count(engine) == 3


async def test_a_pipelines_rows_come_after_what_was_sent_before(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        driver = await raw.on(connection)
        async with driver.pipeline():
            first = await driver.cursor_of(_INSERT, {"id": uuid.uuid4(), "name": "a", "doc": None})
            await driver.send(_INSERT, {"id": uuid.uuid4(), "name": "b", "doc": None})
            # Sent after both inserts, in the same round trip: both rows are there to rename.
            renamed = await driver.cursor_of(_RENAME, {"new_name": "c"})
            assert await first.fetchone() is not None
            assert len(await renamed.fetchall()) == 2
    async with autocommit(engine).connect() as connection:
        names = await (await raw.on(connection)).all(
            raw.RawStatement(sa.select(_things.c.name, _things.c.status)), {}
        )
    assert sorted((row["name"], row["status"]) for row in names) == [
        ("c", "renamed"),
        ("c", "renamed"),
    ]
