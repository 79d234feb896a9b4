"""Shared fixtures: real PostgreSQL and Redis for everything that touches them.

With ``TT_TEST_DATABASE_URL`` / ``TT_TEST_REDIS_URL`` set (``.ci/run`` sets them to the
machine's servers) the tests use those; otherwise they start the embedded servers, as
``tt serve`` does, in a temporary directory. Each run creates its own database, migrates
it and drops it at the end; each test works in its own tenant, so tests never see each
other's rows. Tests marked ``needs_broker`` skip, saying so, without
``TT_TEST_BROKER_URL``; with ``TT_TEST_REQUIRE_SERVERS=1`` (CI) nothing may skip.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import httpx
import hypothesis
import psycopg
import pytest
import sqlalchemy as sa
from hypothesis.configuration import set_hypothesis_home_dir
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncEngine

from tt_api import create_app
from tt_payments import Container, Overrides, Settings, bootstrap
from tt_payments.adapters import cache
from tt_payments.adapters.embedded import EmbeddedServers
from tt_payments.auth.identity import Role
from tt_payments.auth.keys import load_key_pair
from tt_payments.db import migrate
from tt_payments.db.database import with_database

REQUIRE_SERVERS = os.environ.get("TT_TEST_REQUIRE_SERVERS") == "1"

# Property tests judge what the code does, never how fast: no per-example deadline and no
# "too slow" health check (a loaded two-core machine stalls for longer than Hypothesis's
# 200 ms), and no example database in the working tree (a run writes only to temporary
# directories; a failure prints its example and the seed to reproduce it).
hypothesis.settings.register_profile(
    "tickettoken",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.load_profile("tickettoken")


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis keeps a cache of the constants it finds in our modules under ./.hypothesis;
    # a run writes only to temporary directories, so it goes to one of the run's own.
    home = Path(tempfile.mkdtemp(prefix="tt-hypothesis-"))
    config.stash[_HYPOTHESIS_HOME] = home
    set_hypothesis_home_dir(home)


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(_HYPOTHESIS_HOME, None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


_HYPOTHESIS_HOME = pytest.StashKey[Path]()


# The services allowed to call /internal in tests, and their HMAC secrets.
INTERNAL_SECRETS = {"order-service": "order-secret-for-tests", "ticket-service": "ticket-secret"}
# Webhook secrets: two Stripe secrets, as during a rotation (the second is the new one).
STRIPE_WEBHOOK_SECRETS = ("whsec_rotating_out_for_tests", "whsec_current_for_tests")
SQUARE_SIGNATURE_KEY = "square-signature-key-for-tests"
QUEUE_TOKEN_SECRET = "queue-token-secret-for-tests-0123456789abcdef"
SQUARE_WEBHOOK_URL = "https://payments.example.test/api/v1/webhooks/square"

GENERAL_ADMISSION = {
    "name": "General admission",
    "price": 5000,
    "currency": "USD",
    "capacity": 1000,
}
"""The ticket type test events sell (``PUT .../ticket-types/{general_admission(event)}``)."""


def general_admission(event: str) -> str:
    """The id of an event's $50 general admission ticket type in the tests."""
    return str(uuid.uuid5(uuid.UUID(event), "general-admission"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TT_TEST_BROKER_URL"):
        return
    for item in items:
        if item.get_closest_marker("needs_broker") is None:
            continue
        if REQUIRE_SERVERS:
            raise pytest.UsageError("TT_TEST_REQUIRE_SERVERS=1 but TT_TEST_BROKER_URL is not set")
        item.add_marker(
            pytest.mark.skip(reason="needs a RabbitMQ broker: set TT_TEST_BROKER_URL to run it")
        )


@attrs.frozen
class Servers:
    admin_database_url: str
    redis_url: str
    broker_url: str | None


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    # Short, so unix socket paths stay under the kernel's limit.
    path = Path(tempfile.mkdtemp(prefix="tt-test-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def servers(workdir: Path) -> Iterator[Servers]:
    database = os.environ.get("TT_TEST_DATABASE_URL")
    redis_url = os.environ.get("TT_TEST_REDIS_URL")
    broker = os.environ.get("TT_TEST_BROKER_URL")
    if REQUIRE_SERVERS and not (database and redis_url):
        raise RuntimeError("TT_TEST_REQUIRE_SERVERS=1 needs TT_TEST_DATABASE_URL and _REDIS_URL")
    embedded: EmbeddedServers | None = None
    if not (database and redis_url):
        embedded = EmbeddedServers.start(workdir / "embedded")
    yield Servers(
        admin_database_url=database or (embedded.database_url if embedded else ""),
        redis_url=redis_url or (embedded.redis_url if embedded else ""),
        broker_url=broker,
    )
    if embedded is not None:
        embedded.stop()


@pytest.fixture(scope="session")
def fresh_database(servers: Servers) -> Iterator[Callable[[], str]]:
    """Make empty databases on the test server; all are dropped at the end of the run."""
    created: list[str] = []

    def make() -> str:
        name = f"tt_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(servers.admin_database_url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return with_database(servers.admin_database_url, name)

    yield make
    with psycopg.connect(servers.admin_database_url, autocommit=True) as connection:
        for name in created:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def database_url(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(servers: Servers, database_url: str, workdir: Path) -> Settings:
    configured = Settings(
        data_dir=workdir / "data",
        database_url=database_url,
        redis_url=servers.redis_url,
        broker_url=servers.broker_url,
        jwt_private_key_file=workdir / "keys" / "private.pem",
        jwt_public_key_file=workdir / "keys" / "public.pem",
        internal_service_secrets=INTERNAL_SECRETS,
        stripe_webhook_secrets=STRIPE_WEBHOOK_SECRETS,
        square_webhook_signature_keys=(SQUARE_SIGNATURE_KEY,),
        square_webhook_url=SQUARE_WEBHOOK_URL,
        queue_token_secret=QUEUE_TOKEN_SECRET,
        # Under load a test's Redis call can wait seconds for the event loop; the
        # production default (2 s) would then read as "Redis is down" and change the
        # answer. The Redis-down tests use clients of their own with short timeouts.
        redis_timeout_seconds=Decimal(30),
    )
    load_key_pair(configured, create=True)
    return configured


@pytest.fixture(scope="session")
async def container(settings: Settings) -> AsyncIterator[Container]:
    built = bootstrap(settings)
    yield built
    await built.aclose()


@pytest.fixture(scope="session")
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@contextlib.asynccontextmanager
async def service_with(
    settings: Settings, overrides: Overrides
) -> AsyncIterator[tuple[Container, httpx.AsyncClient]]:
    """A second service on the test servers, built with ``overrides`` (a fake or a
    fault-injecting adapter in place of one the settings choose), and a client of its API:
    how a test changes one adapter without patching the shared container."""
    built = bootstrap(settings, overrides=overrides)
    try:
        transport = httpx.ASGITransport(app=create_app(built))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield built, http
    finally:
        await built.aclose()


@pytest.fixture
async def unreachable_redis() -> AsyncIterator[cache.Client]:
    """A Redis client built as the service builds its own, pointed where nothing listens:
    the Redis-down tests. Refused at once, then one immediate retry, as in production."""
    client = cache.create_client("redis://127.0.0.1:1/0", timeout_seconds=1)
    yield client
    await client.aclose()


@pytest.fixture
def tenant() -> uuid.UUID:
    return uuid.uuid4()


async def database_clock(engine: AsyncEngine) -> dt.datetime:
    """The database server's clock now: the one the outbox and its status stamp and age
    rows by, so a test bounds what it reads with readings of the same clock."""
    async with engine.connect() as connection:
        clock = sa.select(sa.func.clock_timestamp(type_=sa.DateTime(timezone=True)))
        now: dt.datetime = (await connection.execute(clock)).scalar_one()
    return now


AuthHeaders = Callable[..., dict[str, str]]


@pytest.fixture
def auth(container: Container, tenant: uuid.UUID) -> AuthHeaders:
    """``auth(role=Role.ADMIN, venues=(...))`` -> an Authorization header for this tenant."""

    def headers(
        role: Role = Role.USER,
        *,
        user: uuid.UUID | None = None,
        venues: tuple[uuid.UUID, ...] = (),
        tenant_id: uuid.UUID | None = None,
    ) -> dict[str, str]:
        token = container.tokens.issue(
            subject=user or uuid.uuid4(),
            tenant_id=tenant_id or tenant,
            role=role,
            venues=venues,
        )
        return {"Authorization": f"Bearer {token}"}

    return headers
