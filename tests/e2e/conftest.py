"""Fixtures of the end-to-end tests that run `tt` processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import attrs
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.processes import Process
from tt_payments import Settings
from tt_payments.auth.identity import Role
from tt_payments.db import database, migrate

# Velocity limits out of the way: for tests that make many payments in one tenant from
# the one test client (its IP would pass 10 payments a minute) and test something else.
LOAD_TEST_VELOCITY = {
    "limits": [
        {"dimension": "user", "windowSeconds": 3600, "limit": 100_000},
        {"dimension": "ip", "windowSeconds": 60, "limit": 100_000},
        {"dimension": "card", "windowSeconds": 86_400, "limit": 100_000},
    ]
}


@pytest.fixture
async def lifted_velocity_limits(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """The test's tenant gets velocity limits high enough never to trip."""
    response = await client.put(
        "/api/v1/admin/fraud/policy",
        json={"velocity": LOAD_TEST_VELOCITY},
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 200, response.text


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
