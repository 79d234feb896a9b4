"""The composition root: ``bootstrap(settings)`` builds the service; ``Container`` holds it.

The API, the workers, the CLI and the tests all call ``bootstrap(settings)``. Nothing is
built at import time or in default arguments; ``Container.aclose`` releases it all.
This module itself stays light (the adapters live in ``tt_payments.wiring``, imported
when a container is built), so importing ``tt_payments`` costs a command nothing it
does not use.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from tt_payments.clock import Clock, utcnow
from tt_payments.settings import Settings

if TYPE_CHECKING:
    from tt_payments.adapters import cache
    from tt_payments.adapters.embedded import EmbeddedServers
    from tt_payments.auth.internal import InternalAuthenticator, NonceStore
    from tt_payments.auth.queue_tokens import JwtAccessTokenCodec
    from tt_payments.auth.tokens import TokenService
    from tt_payments.catalog.ports import Catalog
    from tt_payments.db import database
    from tt_payments.fraud.service import FraudAdmin
    from tt_payments.health import HealthReport
    from tt_payments.high_demand.service import HighDemandService
    from tt_payments.idempotency.ports import IdempotencyStore
    from tt_payments.jobs import PeriodicJobs
    from tt_payments.ledger.ports import LedgerAudit
    from tt_payments.metrics import PaymentMetrics
    from tt_payments.outbox import OutboxRelay
    from tt_payments.outbox.ports import EventPublisher, OutboxStore
    from tt_payments.payments.fees import FeeCalculator
    from tt_payments.payments.ports import PaymentsTransaction
    from tt_payments.payments.provider_events import ProviderEventService
    from tt_payments.payments.refunds import RefundService
    from tt_payments.payments.service import PaymentService
    from tt_payments.payouts.service import PayoutService
    from tt_payments.providers.ports import PaymentProvider, PayoutProvider
    from tt_payments.reconciliation.service import ReconciliationService
    from tt_payments.settlement.service import BalanceService
    from tt_payments.subscribers.service import DeliveryDispatcher, SubscriberService
    from tt_payments.tax.compliance import TaxCompliance
    from tt_payments.tickets.ports import TicketCatalog
    from tt_payments.tickets.service import TicketTypeService
    from tt_payments.unit_of_work import UnitOfWork
    from tt_payments.webhooks.ports import SeenWebhooks
    from tt_payments.webhooks.service import WebhookService
    from tt_tax import RateSource, TaxCalculator


@attrs.frozen(kw_only=True)
class Overrides:
    """Adapters a caller supplies instead of the ones the settings choose: the seams of the
    composition root. Tests pass fakes and fault-injecting adapters here (a processor that
    times out, a Redis that does not answer) instead of patching a built container; an
    embedding service may pass its own clock or publisher. None: as the settings say."""

    clock: Clock = utcnow
    """Every service that reads the time (see ``bootstrap``)."""
    payment_provider: PaymentProvider | None = None
    payout_provider: PayoutProvider | None = None
    publisher: EventPublisher | None = None
    rate_source: RateSource | None = None
    """Where tax rates come from (TaxJar, or the bundled tables)."""
    nonces: NonceStore | None = None
    """Where internal requests' nonces are remembered (replay protection)."""
    seen_webhooks: SeenWebhooks | None = None
    """The webhook inbox's fast duplicate check."""
    payments_transactions: (
        Callable[[UnitOfWork[PaymentsTransaction]], UnitOfWork[PaymentsTransaction]] | None
    ) = None
    """Wraps the payments context's unit of work (payments, refunds, disputes): where a
    test injects a fault at the transaction boundary, such as a process that dies before
    its COMMIT."""


@attrs.frozen(kw_only=True)
class Infrastructure:
    """What the services run on: for health checks, shutdown, the worker's broker, and
    tests that read the database directly. Services never receive it."""

    database_url: str
    redis_url: str
    engine: database.Engine
    redis: cache.Client
    embedded: EmbeddedServers | None = None


@attrs.define
class Container:
    """The services, built once by ``bootstrap``; ``infrastructure`` is what they run on."""

    settings: Settings
    infrastructure: Infrastructure
    tokens: TokenService
    catalog: Catalog
    tax: TaxCalculator
    fees: FeeCalculator
    provider: PaymentProvider
    metrics: PaymentMetrics
    ledger: LedgerAudit
    payments: PaymentService
    refunds: RefundService
    idempotency: IdempotencyStore
    outbox: OutboxStore
    publisher: EventPublisher
    outbox_relay: OutboxRelay
    subscribers: SubscriberService
    deliveries: DeliveryDispatcher
    """Delivers the outbox's events to the tenants' subscribers (runs beside the relay)."""
    internal_auth: InternalAuthenticator
    provider_events: ProviderEventService
    webhooks: WebhookService
    reconciliation: ReconciliationService
    jobs: PeriodicJobs
    high_demand: HighDemandService
    balances: BalanceService
    payouts: PayoutService
    queue_tokens: JwtAccessTokenCodec
    fraud: FraudAdmin
    ticket_types: TicketTypeService
    tickets: TicketCatalog
    tax_compliance: TaxCompliance
    started_at: dt.datetime

    async def health(self) -> HealthReport:
        # Loaded already by the time a container exists: these imports cost nothing here.
        from tt_payments.adapters import cache  # noqa: PLC0415
        from tt_payments.db import database  # noqa: PLC0415
        from tt_payments.health import check_health  # noqa: PLC0415

        return await check_health(
            {
                "database": functools.partial(database.ping, self.infrastructure.engine),
                "redis": functools.partial(cache.ping, self.infrastructure.redis),
            }
        )

    async def database_health(self) -> HealthReport:
        from tt_payments.db import database  # noqa: PLC0415
        from tt_payments.health import check_health  # noqa: PLC0415

        return await check_health(
            {"database": functools.partial(database.ping, self.infrastructure.engine)}
        )

    def schema_revisions(self) -> tuple[str | None, str]:
        """(the database's migration revision, the newest this code knows)."""
        from tt_payments.db import migrate  # noqa: PLC0415 - Alembic, when asked

        return migrate.current_revision(self.infrastructure.database_url), migrate.head_revision()

    async def aclose(self) -> None:
        """Release clients and pools, then leave the embedded servers, whatever fails."""
        try:
            await self.provider.aclose()
            await self.payouts.provider.aclose()
            await self.publisher.aclose()
            await self.tickets.aclose()
            await self.deliveries.sender.aclose()
            await self.infrastructure.redis.aclose()
        finally:
            try:
                await self.infrastructure.engine.dispose()
            finally:
                if self.infrastructure.embedded is not None:
                    self.infrastructure.embedded.stop()


def token_service(settings: Settings) -> TokenService:
    """Tokens signed and verified with the configured (or, embedded, generated) keys."""
    from tt_payments.auth.keys import load_key_pair  # noqa: PLC0415 - cryptography, when used
    from tt_payments.auth.tokens import TokenService  # noqa: PLC0415 - PyJWT, when used

    keys = load_key_pair(settings, create=settings.embedded)
    return TokenService(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def bootstrap(settings: Settings, *, overrides: Overrides | None = None) -> Container:
    """Build the service. Embedded mode starts PostgreSQL and Redis and migrates the schema.

    With ``TT_DATABASE_URL`` set the schema is left alone (``tt migrate`` applies it), and
    ``TT_REDIS_URL`` must be set too: a service that shares its database must not keep its
    counters and locks in a private Redis.

    ``overrides`` replaces adapters the settings would choose (``Overrides``). Its
    ``clock`` goes to every service that takes one: payments (what a sale is dated, its
    tax year), refunds, processor events, reconciliation, the waiting room (when a hold
    or a queue token expires), fraud velocity, balances, payouts (which day a limit
    counts), tax compliance, the simulated payout provider and the internal HMAC check.
    Tests pass a fixed one, so a check and the code it checks agree on the time. Not yet
    on it: the JWT service, the calculate-fees route's "today", webhook clean-up and the
    SQL adapters' own timestamps (idempotency expiry, row stamps), which read the system
    clock or the database's.
    """
    from tt_payments.wiring import build_container  # noqa: PLC0415 - see the module docstring

    return build_container(settings, overrides or Overrides())


def migrate_schema(settings: Settings) -> tuple[str | None, str]:
    """Apply pending migrations to the configured (or embedded) database.

    Returns (revision before, revision after). Needs no keys and builds no container, so
    an operator can migrate before anything else is configured.
    """
    from tt_payments.adapters.embedded import EmbeddedServers  # noqa: PLC0415
    from tt_payments.db import migrate  # noqa: PLC0415 - Alembic, for this command only

    if settings.database_url is not None:
        return migrate.upgrade(settings.database_url)
    embedded = EmbeddedServers.start(settings.data_dir)
    try:
        return migrate.upgrade(embedded.database_url)
    finally:
        embedded.stop()
