"""Settings: the one place that reads ``TT_*`` environment variables.

Everything configurable is a field of the frozen ``Settings``; ``Settings.from_env``
parses and checks it once, with an error that names the variable. Nothing else in the
code base reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs

from tt_money.errors import TicketTokenError

DEFAULT_PORT = 3005
SERVICE_NAME = "payment-service"
SERVICE_VERSION = "1.0.0"


class SettingsError(TicketTokenError):
    """A ``TT_*`` variable holds something we cannot use."""

    default_code = "INVALID_SETTINGS"


@attrs.frozen(kw_only=True)
class Settings:
    data_dir: Path = Path(".tickettoken")
    """Where the embedded servers, generated keys and logs live."""
    database_url: str | None = None
    """A PostgreSQL URL; None means the embedded server under ``data_dir``."""
    redis_url: str | None = None
    """A Redis URL; None means the embedded server under ``data_dir``."""
    redis_timeout_seconds: Decimal = Decimal(2)
    """How long one Redis call (connect or answer) may take before the service treats
    Redis as unavailable and degrades (the waiting room answers 503, velocity limits
    challenge). Short on purpose: an outage must surface at once, not after a wait."""
    broker_url: str | None = None
    """A RabbitMQ URL (amqp://...): events go to its exchange and Dramatiq queues live
    there. None: events go to the log, and ``tt worker`` queues in Redis."""
    events_exchange: str = "tickettoken.events"
    outbox_batch: int = 100
    """Outbox rows one relay pass claims and publishes."""
    outbox_interval_ms: int = 1000
    """Pause between relay passes that found less than a full batch."""
    subscriber_max_attempts: int = 8
    """Failed deliveries of an event to a subscriber before it is dead-lettered (about 9
    minutes of backoff at the default; redrive with ``tt webhooks deliveries redrive``)."""
    subscriber_timeout_seconds: Decimal = Decimal(10)
    """How long a subscriber may take to answer one delivery."""
    relay_in_process: bool | None = None
    """Run the outbox relay inside ``tt serve``; None means only in the embedded default
    (with configured servers ``tt worker`` runs it)."""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 0
    """``tt serve``'s server processes (``TT_WORKERS``, ``--workers``); 0 means one per core
    (``server_processes``)."""
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For is believed (comma-separated; ``*`` for all, only
    when nothing but the load balancer can reach the API). The per-IP velocity limits
    count the address this yields: behind a proxy not listed here every buyer shares
    the proxy's address."""
    log_level: str = "INFO"
    jwt_private_key_file: Path | None = None
    """PEM file of the RS256 signing key; default ``data_dir/keys/jwt-private.pem``."""
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "tickettoken"
    jwt_audience: str = "tickettoken-payments"
    processor: str = "simulated"
    stripe_secret_key: str | None = None
    stripe_api_base: str | None = None
    """Another Stripe API address (localstripe in tests); None means Stripe itself."""
    simulated_latency_ms: int = 0
    """Delay the simulated processor adds to each call, for load tests."""
    simulated_retain_hours: int = 72
    """How long the simulated processor's Redis keeps a payment, refund or reply after its
    last change; a payment older than this is unknown to it, as after a restart."""
    stripe_webhook_secrets: tuple[str, ...] = attrs.field(default=(), repr=False)
    """Secrets that may sign Stripe webhooks (several during a rotation)."""
    square_webhook_signature_keys: tuple[str, ...] = attrs.field(default=(), repr=False)
    square_webhook_url: str | None = None
    """The notification URL registered with Square (part of what it signs)."""
    internal_service_secrets: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    """HMAC secret per calling service (TT_INTERNAL_SERVICE_SECRETS=name:secret,...);
    empty means every /internal request is refused."""
    queue_token_secret: str | None = attrs.field(default=None, repr=False)
    """HS256 key of the waiting room's access tokens (TT_QUEUE_TOKEN_SECRET, the spec's
    QUEUE_TOKEN_SECRET), shared by every API process; at least 32 characters. None: the
    embedded default generates one under ``data_dir/keys``."""
    pre_payment_checks: bool = True
    """Run the fraud checks (bots, scalpers, velocity) before payments. Off only for
    measuring what they cost; queue tokens and purchase limits always apply."""
    database_pool_size: int = 10
    """Connections each process keeps to PostgreSQL (TT_DATABASE_POOL_SIZE)."""
    database_max_overflow: int = 0
    """Connections opened beyond the pool under load and closed after
    (TT_DATABASE_MAX_OVERFLOW); 0 measured fastest on two cores (docs/PERFORMANCE.md)."""
    ticket_hold_seconds: int = 900
    """How long a payment's seat holds last before the release_ticket_holds job gives them
    back. A payment the processor settles later still gets its tickets if they are free."""
    high_demand_cache_seconds: int = 2
    """How long an event's high-demand settings are reused before being read again."""
    tier_volume_cache_seconds: int = 60
    """How long a venue's trailing 30-day volume (its fee tier) is reused; 0 reads it on
    every quote. A tier can lag a sale by this long, never a payment's own amounts."""
    gas_charge_per_ticket_cents: int = 50
    gas_solana_fee: Decimal = Decimal("0.002")
    gas_solana_fee_usd: Decimal = Decimal("0.05")
    gas_solana_congestion: str = "low"
    gas_polygon_fee: Decimal = Decimal("0.01")
    gas_polygon_fee_usd: Decimal = Decimal("0.005")
    gas_polygon_congestion: str = "medium"
    taxjar_api_key: str | None = attrs.field(default=None, repr=False)
    """TaxJar's API token (TT_TAXJAR_API_KEY): TaxJar answers rates first and the bundled
    tables when it fails or times out (results record their ``taxSource``). None: the
    tables only."""
    taxjar_api_url: str | None = None
    """Another TaxJar address (its sandbox, or a local server in tests); None: TaxJar's."""
    taxjar_timeout_seconds: Decimal = Decimal(5)
    """How long one TaxJar request may take before the tables answer instead."""
    ticket_service_url: str | None = None
    """The ticket service's address (TT_TICKET_SERVICE_URL): ticket types, prices and holds
    come from it. None: the local catalog in our database (the embedded default)."""
    ticket_service_secret: str | None = attrs.field(default=None, repr=False)
    """The HMAC secret we sign our calls to the ticket service with (as payment-service)."""
    ticket_service_timeout_seconds: Decimal = Decimal(2)
    """How long one ticket service call may take before the payment is refused with 503."""
    tax_payer_name: str = "TicketToken, Inc."
    """The broker filing Forms 1099-DA (the form's PAYER block)."""
    tax_payer_tin: str = attrs.field(default="00-0000000", repr=False)
    """The payer's EIN, printed in full on every form (the default is a placeholder)."""
    tax_payer_address: str = "1 Broadway\nNashville, TN 37203"
    """The payer's address; lines separated by newlines (``\\n`` in the variable)."""

    @property
    def embedded(self) -> bool:
        """True when no database is configured and the embedded servers are used."""
        return self.database_url is None

    @property
    def runs_relay_in_process(self) -> bool:
        """Whether ``tt serve`` relays the outbox itself (TT_RELAY_IN_PROCESS, or embedded)."""
        return self.embedded if self.relay_in_process is None else self.relay_in_process

    @property
    def server_processes(self) -> int:
        """How many processes ``tt serve`` runs: ``workers``, or one per core."""
        return self.workers or os.cpu_count() or 1

    @property
    def queue_token_secret_path(self) -> Path:
        return self.data_dir / "keys" / "queue-token.secret"

    @property
    def private_key_path(self) -> Path:
        return self.jwt_private_key_file or self.data_dir / "keys" / "jwt-private.pem"

    @property
    def public_key_path(self) -> Path:
        return self.jwt_public_key_file or self.data_dir / "keys" / "jwt-public.pem"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        source = os.environ if env is None else env
        reader = _Reader(source)
        defaults = cls()
        return cls(
            data_dir=reader.path("TT_DATA_DIR") or defaults.data_dir,
            database_url=reader.text("TT_DATABASE_URL"),
            redis_url=reader.text("TT_REDIS_URL"),
            redis_timeout_seconds=_positive(
                "TT_REDIS_TIMEOUT_SECONDS",
                reader.decimal("TT_REDIS_TIMEOUT_SECONDS", defaults.redis_timeout_seconds),
            ),
            broker_url=reader.text("TT_BROKER_URL"),
            events_exchange=reader.text("TT_EVENTS_EXCHANGE") or defaults.events_exchange,
            outbox_batch=reader.integer(
                "TT_OUTBOX_BATCH", defaults.outbox_batch, low=1, high=10_000
            ),
            outbox_interval_ms=reader.integer(
                "TT_OUTBOX_INTERVAL_MS", defaults.outbox_interval_ms, low=10, high=3_600_000
            ),
            subscriber_max_attempts=reader.integer(
                "TT_SUBSCRIBER_MAX_ATTEMPTS", defaults.subscriber_max_attempts, low=1, high=50
            ),
            subscriber_timeout_seconds=_positive(
                "TT_SUBSCRIBER_TIMEOUT_SECONDS",
                reader.decimal(
                    "TT_SUBSCRIBER_TIMEOUT_SECONDS", defaults.subscriber_timeout_seconds
                ),
            ),
            relay_in_process=reader.flag("TT_RELAY_IN_PROCESS"),
            host=reader.text("TT_HOST") or defaults.host,
            port=reader.integer("TT_PORT", defaults.port, low=1, high=65535),
            workers=reader.integer("TT_WORKERS", defaults.workers, low=0, high=64),
            trusted_proxies=reader.text("TT_TRUSTED_PROXIES") or defaults.trusted_proxies,
            log_level=(reader.text("TT_LOG_LEVEL") or defaults.log_level).upper(),
            jwt_private_key_file=reader.path("TT_JWT_PRIVATE_KEY_FILE"),
            jwt_public_key_file=reader.path("TT_JWT_PUBLIC_KEY_FILE"),
            jwt_issuer=reader.text("TT_JWT_ISSUER") or defaults.jwt_issuer,
            jwt_audience=reader.text("TT_JWT_AUDIENCE") or defaults.jwt_audience,
            processor=reader.choice("TT_PROCESSOR", defaults.processor, ("simulated", "stripe")),
            stripe_secret_key=reader.text("TT_STRIPE_SECRET_KEY"),
            stripe_api_base=reader.text("TT_STRIPE_API_BASE"),
            simulated_latency_ms=reader.integer(
                "TT_SIMULATED_LATENCY_MS", defaults.simulated_latency_ms, low=0, high=60_000
            ),
            simulated_retain_hours=reader.integer(
                "TT_SIMULATED_RETAIN_HOURS", defaults.simulated_retain_hours, low=1, high=24 * 366
            ),
            stripe_webhook_secrets=_listed(reader.text("TT_STRIPE_WEBHOOK_SECRETS")),
            square_webhook_signature_keys=_listed(reader.text("TT_SQUARE_WEBHOOK_SIGNATURE_KEYS")),
            square_webhook_url=reader.text("TT_SQUARE_WEBHOOK_URL"),
            internal_service_secrets=_service_secrets(reader.text("TT_INTERNAL_SERVICE_SECRETS")),
            queue_token_secret=_secret(reader.text("TT_QUEUE_TOKEN_SECRET")),
            pre_payment_checks=bool(reader.flag("TT_PRE_PAYMENT_CHECKS") in (None, True)),
            database_pool_size=reader.integer(
                "TT_DATABASE_POOL_SIZE", defaults.database_pool_size, low=1, high=1000
            ),
            database_max_overflow=reader.integer(
                "TT_DATABASE_MAX_OVERFLOW", defaults.database_max_overflow, low=0, high=1000
            ),
            ticket_hold_seconds=reader.integer(
                "TT_TICKET_HOLD_SECONDS", defaults.ticket_hold_seconds, low=60, high=86_400
            ),
            high_demand_cache_seconds=reader.integer(
                "TT_HIGH_DEMAND_CACHE_SECONDS",
                defaults.high_demand_cache_seconds,
                low=0,
                high=300,
            ),
            tier_volume_cache_seconds=reader.integer(
                "TT_TIER_VOLUME_CACHE_SECONDS",
                defaults.tier_volume_cache_seconds,
                low=0,
                high=86_400,
            ),
            gas_charge_per_ticket_cents=reader.integer(
                "TT_GAS_CHARGE_PER_TICKET_CENTS", defaults.gas_charge_per_ticket_cents, low=0
            ),
            gas_solana_fee=reader.decimal("TT_GAS_SOLANA_FEE", defaults.gas_solana_fee),
            gas_solana_fee_usd=reader.decimal("TT_GAS_SOLANA_FEE_USD", defaults.gas_solana_fee_usd),
            gas_solana_congestion=reader.choice(
                "TT_GAS_SOLANA_CONGESTION", defaults.gas_solana_congestion, _CONGESTION
            ),
            gas_polygon_fee=reader.decimal("TT_GAS_POLYGON_FEE", defaults.gas_polygon_fee),
            gas_polygon_fee_usd=reader.decimal(
                "TT_GAS_POLYGON_FEE_USD", defaults.gas_polygon_fee_usd
            ),
            gas_polygon_congestion=reader.choice(
                "TT_GAS_POLYGON_CONGESTION", defaults.gas_polygon_congestion, _CONGESTION
            ),
            taxjar_api_key=reader.text("TT_TAXJAR_API_KEY"),
            taxjar_api_url=reader.text("TT_TAXJAR_API_URL"),
            taxjar_timeout_seconds=_positive(
                "TT_TAXJAR_TIMEOUT_SECONDS",
                reader.decimal("TT_TAXJAR_TIMEOUT_SECONDS", defaults.taxjar_timeout_seconds),
            ),
            ticket_service_url=reader.text("TT_TICKET_SERVICE_URL"),
            ticket_service_secret=reader.text("TT_TICKET_SERVICE_SECRET"),
            ticket_service_timeout_seconds=_positive(
                "TT_TICKET_SERVICE_TIMEOUT_SECONDS",
                reader.decimal(
                    "TT_TICKET_SERVICE_TIMEOUT_SECONDS", defaults.ticket_service_timeout_seconds
                ),
            ),
            tax_payer_name=reader.text("TT_TAX_PAYER_NAME") or defaults.tax_payer_name,
            tax_payer_tin=reader.text("TT_TAX_PAYER_TIN") or defaults.tax_payer_tin,
            tax_payer_address=(
                (reader.text("TT_TAX_PAYER_ADDRESS") or "").replace("\\n", "\n")
                or defaults.tax_payer_address
            ),
        )


_CONGESTION = ("low", "medium", "high")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@attrs.frozen
class _Reader:
    env: Mapping[str, str]

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        return Path(value) if value else None

    def integer(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value, 10)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
        if number < low or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{name} must be {bounds}, got {number}")
        return number

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{name} must be true or false, got {value!r}")

    def decimal(self, name: str, default: Decimal) -> Decimal:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise SettingsError(f"{name} must be a decimal number, got {value!r}") from None
        if not number.is_finite() or number < 0:
            raise SettingsError(f"{name} must be a finite, non-negative number, got {value!r}")
        return number

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = (self.text(name) or default).lower()
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value


QUEUE_TOKEN_SECRET_MIN_LENGTH = 32


def _positive(name: str, value: Decimal) -> Decimal:
    if value <= 0:
        raise SettingsError(f"{name} must be more than zero, got {value}")
    return value


def _secret(text: str | None) -> str | None:
    if text is not None and len(text) < QUEUE_TOKEN_SECRET_MIN_LENGTH:
        raise SettingsError(
            f"TT_QUEUE_TOKEN_SECRET must be at least {QUEUE_TOKEN_SECRET_MIN_LENGTH} "
            "characters (HS256 needs a key as long as its hash)"
        )
    return text


def _service_secrets(text: str | None) -> dict[str, str]:
    try:
        return parse_service_secrets(text)
    except ValueError as error:
        raise SettingsError(f"TT_INTERNAL_SERVICE_SECRETS: {error}") from None


def parse_service_secrets(text: str | None) -> dict[str, str]:
    """``name:secret,name:secret`` (TT_INTERNAL_SERVICE_SECRETS) as a mapping."""
    secrets: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, separator, secret = item.strip().partition(":")
        if not separator or not name or not secret:
            raise ValueError(f"expected name:secret, got {item.strip()!r}")
        if name in secrets:
            raise ValueError(f"service {name!r} is listed twice")
        secrets[name] = secret
    return secrets


def _listed(text: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())
