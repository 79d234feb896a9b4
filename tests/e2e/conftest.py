"""Fixtures of the end-to-end tests that run `tt` processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.processes import Process
from tt_payments import Settings
from tt_payments.adapters import database, migrate


@pytest.fixture
def start(workdir: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def run(env: dict[str, str], *args: str) -> Process:
        process = Process(env, workdir, *args)
        started.append(process)
        return process

    yield run
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture(scope="module")
def relay_settings(settings: Settings, fresh_database: Callable[[], str]) -> Settings:
    """The test servers, with a database of its own for processes that relay."""
    url = fresh_database()
    migrate.upgrade(url)
    return attrs.evolve(settings, database_url=url)


@pytest.fixture(scope="module")
async def relay_engine(relay_settings: Settings) -> AsyncIterator[AsyncEngine]:
    assert relay_settings.database_url is not None
    engine = database.create_engine(relay_settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()
