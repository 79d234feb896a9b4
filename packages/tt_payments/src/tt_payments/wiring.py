"""What ``bootstrap`` builds: every engine, pool, client and adapter, wired into the services.

Imported by ``bootstrap()`` when a container is built, never at import time, so a command
that needs no container (``tt --help``, ``tt token issue``, ``tt migrate``) loads none of
this. Vendor SDKs a configuration may not use (Stripe, TaxJar, RabbitMQ, the PDF library,
Alembic, the embedded servers) are imported only by the builder that needs them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tt_chain import Blockchain, CongestionLevel, GasChargePolicy, GasQuote, StaticGasEstimator
from tt_fraud.adapters.redis_velocity import RedisVelocityCounter
from tt_high_demand import WaitingRoom
from tt_high_demand.adapters.redis_waiting_room import RedisWaitingRoomStore
from tt_money import USD, FeeSchedule, Money
from tt_payments.adapters import cache
from tt_payments.adapters.event_sender import HttpEventSender
from tt_payments.adapters.log_publisher import LogPublisher
from tt_payments.adapters.nonce_redis import RedisNonceStore
from tt_payments.adapters.prometheus_metrics import PrometheusPaymentMetrics
from tt_payments.adapters.simulator_redis import RedisSimulatorStore
from tt_payments.adapters.webhook_seen_redis import RedisSeenWebhooks
from tt_payments.auth.internal import InternalAuthenticator
from tt_payments.auth.keys import load_queue_token_secret
from tt_payments.auth.queue_tokens import JwtAccessTokenCodec
from tt_payments.bootstrap import Container, Infrastructure, Overrides, token_service
from tt_payments.catalog.sql import SqlCatalog, SqlSalesVolume
from tt_payments.catalog.volume_cache import CachedSalesVolume
from tt_payments.clock import Clock, utcnow
from tt_payments.db import database
from tt_payments.db.locks import SqlLocks
from tt_payments.db.unit_of_work import SqlUnitOfWork
from tt_payments.fraud.service import FraudAdmin, FraudCheck
from tt_payments.fraud.sql import SqlFraudRecords
from tt_payments.high_demand.service import HighDemandService
from tt_payments.high_demand.sql import SqlHighDemand
from tt_payments.idempotency.sql import SqlIdempotencyStore
from tt_payments.jobs import PeriodicJobs
from tt_payments.ledger.sql import SqlLedger
from tt_payments.outbox import OutboxRelay
from tt_payments.outbox.ports import EventPublisher
from tt_payments.outbox.sql import SqlOutbox
from tt_payments.payments.disputes import DisputeService
from tt_payments.payments.fees import FeeCalculator
from tt_payments.payments.ports import PaymentsTransaction
from tt_payments.payments.provider_events import ProviderEventService
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentService
from tt_payments.payments.sql import HoldsOnConnection, SqlPayments, payments_transaction
from tt_payments.payouts.service import PayoutService
from tt_payments.payouts.sql import payouts_transaction
from tt_payments.providers.ports import PaymentProvider, PayoutProvider
from tt_payments.providers.simulated import SimulatedProvider
from tt_payments.providers.simulated_payouts import SimulatedPayouts
from tt_payments.providers.stripe.event_types import (
    STRIPE_DISPUTE_EVENTS,
    STRIPE_PAYMENT_EVENTS,
    STRIPE_PAYOUT_EVENTS,
    STRIPE_REFUND_EVENTS,
)
from tt_payments.reconciliation.service import ReconciliationService
from tt_payments.reconciliation.sql import SqlReconciliation
from tt_payments.settings import Settings, SettingsError
from tt_payments.settlement.service import BalanceService
from tt_payments.settlement.sql import settlement_transaction
from tt_payments.subscribers.service import DeliveryDispatcher, SubscriberService
from tt_payments.subscribers.sql import SqlSubscribers
from tt_payments.tax.compliance import TaxCompliance
from tt_payments.tax.service import TaxRecords
from tt_payments.tax.sql import SqlTaxCompliance, SqlTaxTransaction
from tt_payments.tickets.ports import TicketCatalog
from tt_payments.tickets.service import TicketTypeService
from tt_payments.tickets.sql import SqlTicketCatalog, SqlTicketHolds
from tt_payments.unit_of_work import UnitOfWork
from tt_payments.webhooks import ProviderEvent, square_event
from tt_payments.webhooks.service import WebhookService
from tt_payments.webhooks.sql import SqlWebhookInbox
from tt_tax import BundledRates, FallbackRates, NexusTracker, Payer, RateSource, TaxCalculator

if TYPE_CHECKING:
    from tt_payments.adapters.embedded import EmbeddedServers
    from tt_tax import Form1099DA


def build_container(settings: Settings, overrides: Overrides) -> Container:
    """What ``bootstrap`` returns; see its docstring."""
    clock = overrides.clock
    embedded = _start_embedded(settings)
    try:
        if embedded is not None:
            database_url = embedded.database_url
            redis_url = settings.redis_url or embedded.redis_url
            _migrate(database_url)
        else:
            database_url = settings.database_url or ""
            redis_url = settings.redis_url or ""
        engine = database.create_engine(
            database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        redis_client = cache.create_client(
            redis_url, timeout_seconds=float(settings.redis_timeout_seconds)
        )
        catalog = SqlCatalog(engine)
        local_tickets = SqlTicketCatalog(engine)
        tickets, holds = _ticket_catalog(settings, local_tickets)
        tax = TaxCalculator(overrides.rate_source or build_rate_source(settings))
        nexus = NexusTracker.load()
        tax_records = TaxRecords()
        fees = FeeCalculator(
            catalog=catalog,
            sales_volume=CachedSalesVolume(
                SqlSalesVolume(engine), ttl_seconds=settings.tier_volume_cache_seconds
            ),
            schedule=FeeSchedule.default(),
            tax=tax,
            gas=StaticGasEstimator(_static_gas_quotes(settings)),
            gas_charge=GasChargePolicy(Money(settings.gas_charge_per_ticket_cents, USD)),
            tickets=tickets,
        )
        provider = overrides.payment_provider or build_provider(settings, redis_client)
        ledger = SqlLedger(engine)
        stored_payments = SqlPayments(engine)
        payments_uow: UnitOfWork[PaymentsTransaction] = SqlUnitOfWork(
            engine, payments_transaction(ledger, holds)
        )
        if overrides.payments_transactions is not None:
            payments_uow = overrides.payments_transactions(payments_uow)
        metrics = PrometheusPaymentMetrics()
        outbox = SqlOutbox(engine)
        subscribers = SqlSubscribers(engine)
        publisher = overrides.publisher or build_publisher(settings)
        high_demand_store = SqlHighDemand(engine)
        queue_tokens = JwtAccessTokenCodec(
            load_queue_token_secret(settings, create=settings.embedded)
        )
        high_demand = HighDemandService(
            store=high_demand_store,
            room=WaitingRoom(
                RedisWaitingRoomStore(redis_client),
                queue_tokens,
                high_demand_store,
                clock,
            ),
            catalog=catalog,
            cache_seconds=settings.high_demand_cache_seconds,
            clock=clock,
        )
        fraud_records = SqlFraudRecords(engine)
        fraud_check = FraudCheck(
            records=fraud_records, velocity=RedisVelocityCounter(redis_client), clock=clock
        )
        payments = PaymentService(
            payments=stored_payments,
            uow=payments_uow,
            accounts=ledger,
            catalog=catalog,
            fees=fees,
            provider=provider,
            metrics=metrics,
            tickets=tickets,
            checks=(fraud_check,) if settings.pre_payment_checks else (),
            high_demand=high_demand,
            tax_records=tax_records,
            hold_for=dt.timedelta(seconds=settings.ticket_hold_seconds),
            clock=clock,
        )
        refunds = RefundService(
            payments=stored_payments,
            uow=payments_uow,
            accounts=ledger,
            lookup=payments,
            provider=provider,
            metrics=metrics,
            tax_records=tax_records,
            clock=clock,
        )
        findings = SqlReconciliation(engine)
        provider_events = ProviderEventService(
            payments=payments,
            refunds=refunds,
            disputes=DisputeService(uow=payments_uow, accounts=ledger, refunds=refunds),
            provider=provider,
            metrics=metrics,
            findings=findings,
            clock=clock,
        )
        balances = BalanceService(
            uow=SqlUnitOfWork(engine, settlement_transaction(ledger)),
            accounts=ledger,
            catalog=catalog,
            clock=clock,
        )
        payouts = PayoutService(
            uow=SqlUnitOfWork(engine, payouts_transaction(ledger)),
            accounts=ledger,
            catalog=catalog,
            provider=overrides.payout_provider
            or build_payout_provider(settings, redis_client, clock=clock),
            default_destination=_simulated_destination if settings.processor != "stripe" else None,
            clock=clock,
        )
        webhooks = WebhookService(
            inbox=SqlWebhookInbox(engine),
            seen=overrides.seen_webhooks or RedisSeenWebhooks(redis_client),
            handlers={
                **dict.fromkeys(
                    STRIPE_PAYMENT_EVENTS | STRIPE_REFUND_EVENTS | STRIPE_DISPUTE_EVENTS,
                    provider_events.apply,
                ),
                **dict.fromkeys(STRIPE_PAYOUT_EVENTS, payouts.on_provider_event),
            },
            parsers={"stripe": _stored_stripe_event, "square": _stored_square_event},
            metrics=metrics,
        )
        tax_compliance = TaxCompliance(
            calculator=tax,
            catalog=catalog,
            store=SqlTaxCompliance(engine),
            uow=SqlUnitOfWork(engine, SqlTaxTransaction),
            nexus=nexus,
            payer=Payer(
                name=settings.tax_payer_name,
                tin=settings.tax_payer_tin,
                address=settings.tax_payer_address,
            ),
            render_pdf=_render_1099da_pdf,
            clock=clock,
        )
        locks = SqlLocks(engine)
        reconciliation = ReconciliationService(
            locks=locks,
            records=findings,
            payments=payments,
            refunds=refunds,
            provider=provider,
            clock=clock,
        )
        return Container(
            settings=settings,
            provider=provider,
            metrics=metrics,
            ledger=ledger,
            payments=payments,
            refunds=refunds,
            idempotency=SqlIdempotencyStore(engine),
            outbox=outbox,
            publisher=publisher,
            subscribers=SubscriberService(store=subscribers, clock=clock),
            deliveries=DeliveryDispatcher(
                store=subscribers,
                sender=HttpEventSender(timeout_seconds=float(settings.subscriber_timeout_seconds)),
                max_attempts=settings.subscriber_max_attempts,
                interval=dt.timedelta(milliseconds=settings.outbox_interval_ms),
            ),
            outbox_relay=OutboxRelay(
                store=outbox,
                publisher=publisher,
                batch_size=settings.outbox_batch,
                interval=dt.timedelta(milliseconds=settings.outbox_interval_ms),
            ),
            infrastructure=Infrastructure(
                database_url=database_url,
                redis_url=redis_url,
                engine=engine,
                redis=redis_client,
                embedded=embedded,
            ),
            tokens=token_service(settings),
            provider_events=provider_events,
            webhooks=webhooks,
            reconciliation=reconciliation,
            jobs=PeriodicJobs(
                locks=locks,
                webhooks=webhooks,
                provider_events=provider_events,
                reconciliation=reconciliation,
                balances=balances,
                payouts=payouts,
                tax=tax_compliance,
                tickets=tickets,
                clock=clock,
            ),
            high_demand=high_demand,
            balances=balances,
            payouts=payouts,
            queue_tokens=queue_tokens,
            fraud=FraudAdmin(fraud_records, fraud_check),
            ticket_types=TicketTypeService(
                store=local_tickets, catalog=catalog, managed_by=settings.ticket_service_url
            ),
            tickets=tickets,
            tax_compliance=tax_compliance,
            internal_auth=InternalAuthenticator(
                secrets=settings.internal_service_secrets,
                nonces=overrides.nonces or RedisNonceStore(redis_client),
                clock=lambda: clock().timestamp(),
            ),
            catalog=catalog,
            tax=tax,
            fees=fees,
            started_at=clock(),
        )
    except BaseException:
        if embedded is not None:
            embedded.stop()
        raise


def _ticket_catalog(
    settings: Settings, local: SqlTicketCatalog
) -> tuple[TicketCatalog, HoldsOnConnection]:
    """The local catalog (its holds move in the payment's transaction), or the ticket
    service over HTTP when ``TT_TICKET_SERVICE_URL`` is set (it moves its holds itself,
    from the payment's events)."""
    if settings.ticket_service_url is None:
        return local, SqlTicketHolds
    if not settings.ticket_service_secret:
        raise SettingsError("TT_TICKET_SERVICE_URL is set but TT_TICKET_SERVICE_SECRET is not")
    from tt_payments.adapters.ticket_service import (  # noqa: PLC0415 - only when configured
        EventCarriedHolds,
        HttpTicketCatalog,
    )

    remote = HttpTicketCatalog(
        settings.ticket_service_url,
        secret=settings.ticket_service_secret,
        timeout_seconds=float(settings.ticket_service_timeout_seconds),
    )
    return remote, lambda _connection: EventCarriedHolds()


def _start_embedded(settings: Settings) -> EmbeddedServers | None:
    if settings.database_url is not None and settings.redis_url is None:
        raise SettingsError("TT_DATABASE_URL is set but TT_REDIS_URL is not; set both")
    if settings.database_url is not None:
        return None
    from tt_payments.adapters.embedded import EmbeddedServers  # noqa: PLC0415 - embedded only

    return EmbeddedServers.start(settings.data_dir)


def _migrate(database_url: str) -> None:
    from tt_payments.db import migrate  # noqa: PLC0415 - Alembic, embedded start only

    migrate.upgrade(database_url)


def _stored_stripe_event(payload: Mapping[str, object], signature: str) -> ProviderEvent:
    # The Stripe SDK loads when a stored Stripe delivery is replayed, not for every container.
    from tt_payments.providers.stripe.webhooks import stripe_event  # noqa: PLC0415

    return stripe_event(payload, signature=signature)


def _stored_square_event(payload: Mapping[str, object], signature: str) -> ProviderEvent:
    return square_event(payload, signature=signature)


def _render_1099da_pdf(form: Form1099DA) -> bytes:
    # fpdf2 and fontTools take about a second to import: loaded when a form is rendered.
    from tt_tax.adapters.pdf_1099da import render_1099da_pdf  # noqa: PLC0415

    return render_1099da_pdf(form)


def build_rate_source(settings: Settings) -> RateSource:
    """TaxJar first, then the bundled tables, when ``TT_TAXJAR_API_KEY`` is set (results
    record which answered in ``tax_source``); otherwise the tables alone."""
    tables = BundledRates.load()
    if settings.taxjar_api_key is None:
        return tables
    from tt_tax.adapters.taxjar import TaxJarRates  # noqa: PLC0415 - only with a TaxJar key

    timeout = float(settings.taxjar_timeout_seconds)
    primary = (
        TaxJarRates(settings.taxjar_api_key, taxability=tables, timeout_seconds=timeout)
        if settings.taxjar_api_url is None
        else TaxJarRates(
            settings.taxjar_api_key,
            taxability=tables,
            timeout_seconds=timeout,
            api_url=settings.taxjar_api_url,
        )
    )
    return FallbackRates(primary, tables)


def build_provider(settings: Settings, redis_client: cache.Client) -> PaymentProvider:
    """The configured processor: the simulated one by default (NOTES item 10), its state
    in Redis so every process of the service (each `tt serve` worker, the CLI, the worker)
    sees the same payments, and a long-running server's memory stays flat.

    One simulated processor account per database: the processes that share a database
    share its charges; deployments (a bench, another test session) that share only the
    Redis do not see each other's, so reconciliation never lists a stranger's charges."""
    if settings.processor == "stripe":
        if settings.stripe_secret_key is None:
            raise SettingsError("TT_PROCESSOR=stripe needs TT_STRIPE_SECRET_KEY")
        from tt_payments.providers.stripe.charges import StripeProvider  # noqa: PLC0415

        return StripeProvider(settings.stripe_secret_key, api_base=settings.stripe_api_base)
    store = RedisSimulatorStore(
        redis_client,
        ttl_seconds=settings.simulated_retain_hours * 3600,
        prefix=f"simulated-processor:{_simulated_account(settings)}",
    )
    return SimulatedProvider(store=store, latency=settings.simulated_latency_ms / 1000)


def build_payout_provider(
    settings: Settings, redis_client: cache.Client, *, clock: Clock = utcnow
) -> PayoutProvider:
    """Stripe Connect with the Stripe processor; the simulated payouts otherwise, their
    state in Redis beside the simulated processor's (see ``build_provider``), so a payout
    that `tt payouts` created is found by the server and the worker, and a long-running
    process holds none of it."""
    if settings.processor == "stripe":
        if settings.stripe_secret_key is None:
            raise SettingsError("TT_PROCESSOR=stripe needs TT_STRIPE_SECRET_KEY")
        from tt_payments.providers.stripe.payouts import StripeConnectPayouts  # noqa: PLC0415

        return StripeConnectPayouts(settings.stripe_secret_key, api_base=settings.stripe_api_base)
    store = RedisSimulatorStore(
        redis_client,
        ttl_seconds=settings.simulated_retain_hours * 3600,
        prefix=f"simulated-payouts:{_simulated_account(settings)}",
    )
    return SimulatedPayouts(store=store, clock=clock)


def _simulated_account(settings: Settings) -> str:
    """One simulated processor account per database (see ``build_provider``)."""
    return hashlib.sha256((settings.database_url or "embedded").encode()).hexdigest()[:16]


def _simulated_destination(venue_id: uuid.UUID) -> str:
    """The simulated provider pays any ``acct_`` account: each venue gets its own."""
    return f"acct_sim_{venue_id.hex[:16]}"


def build_publisher(settings: Settings) -> EventPublisher:
    """RabbitMQ when ``TT_BROKER_URL`` is set, else the log (the embedded default's sink)."""
    if settings.broker_url is not None:
        from tt_payments.adapters.rabbitmq import RabbitMqPublisher  # noqa: PLC0415

        return RabbitMqPublisher(settings.broker_url, exchange=settings.events_exchange)
    return LogPublisher()


def _static_gas_quotes(settings: Settings) -> list[GasQuote]:
    return [
        GasQuote(
            blockchain=Blockchain.SOLANA,
            estimated_fee=settings.gas_solana_fee,
            fee_usd=settings.gas_solana_fee_usd,
            congestion=CongestionLevel(settings.gas_solana_congestion),
        ),
        GasQuote(
            blockchain=Blockchain.POLYGON,
            estimated_fee=settings.gas_polygon_fee,
            fee_usd=settings.gas_polygon_fee_usd,
            congestion=CongestionLevel(settings.gas_polygon_congestion),
        ),
    ]
