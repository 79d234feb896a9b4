"""What handlers receive: the one service (or port) each uses, injected by name.

``create_app`` registers every name below, each resolving to the container's object of
that name; a handler names the ones it needs (``payouts: PayoutsDep``), never the whole
container (only the health routes, which are about the whole service, take that).
Values are never validated: Litestar would otherwise run every injected value through
msgspec on every request, and these are ours, built once by ``bootstrap``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeAlias

from litestar.di import Dependency, Provide
from litestar.params import SkipValidationMarker

from tt_payments import Container, Settings
from tt_payments.auth.internal import InternalAuthenticator
from tt_payments.catalog.ports import Catalog
from tt_payments.fraud.service import FraudAdmin
from tt_payments.high_demand.service import HighDemandService
from tt_payments.idempotency import IdempotencyStore
from tt_payments.metrics import PaymentMetrics
from tt_payments.payments.fees import FeeCalculator
from tt_payments.payments.refunds import RefundService
from tt_payments.payments.service import PaymentService
from tt_payments.payouts import PayoutService
from tt_payments.settlement import BalanceService
from tt_payments.subscribers.service import SubscriberService
from tt_payments.tax.compliance import TaxCompliance
from tt_payments.tickets.service import TicketTypeService
from tt_payments.webhooks.service import WebhookService
from tt_tax import TaxCalculator

ContainerDep: TypeAlias = Annotated[Container, Dependency(kind="named"), SkipValidationMarker()]
SettingsDep: TypeAlias = Annotated[Settings, Dependency(kind="named"), SkipValidationMarker()]
PaymentsDep: TypeAlias = Annotated[PaymentService, Dependency(kind="named"), SkipValidationMarker()]
RefundsDep: TypeAlias = Annotated[RefundService, Dependency(kind="named"), SkipValidationMarker()]
FeesDep: TypeAlias = Annotated[FeeCalculator, Dependency(kind="named"), SkipValidationMarker()]
PayoutsDep: TypeAlias = Annotated[PayoutService, Dependency(kind="named"), SkipValidationMarker()]
BalancesDep: TypeAlias = Annotated[BalanceService, Dependency(kind="named"), SkipValidationMarker()]
HighDemandDep: TypeAlias = Annotated[
    HighDemandService, Dependency(kind="named"), SkipValidationMarker()
]
FraudDep: TypeAlias = Annotated[FraudAdmin, Dependency(kind="named"), SkipValidationMarker()]
TaxComplianceDep: TypeAlias = Annotated[
    TaxCompliance, Dependency(kind="named"), SkipValidationMarker()
]
TaxDep: TypeAlias = Annotated[TaxCalculator, Dependency(kind="named"), SkipValidationMarker()]
InternalAuthDep: TypeAlias = Annotated[
    InternalAuthenticator, Dependency(kind="named"), SkipValidationMarker()
]
WebhooksDep: TypeAlias = Annotated[WebhookService, Dependency(kind="named"), SkipValidationMarker()]
IdempotencyDep: TypeAlias = Annotated[
    IdempotencyStore, Dependency(kind="named"), SkipValidationMarker()
]
CatalogDep: TypeAlias = Annotated[Catalog, Dependency(kind="named"), SkipValidationMarker()]
TicketTypesDep: TypeAlias = Annotated[
    TicketTypeService, Dependency(kind="named"), SkipValidationMarker()
]
SubscribersDep: TypeAlias = Annotated[
    SubscriberService, Dependency(kind="named"), SkipValidationMarker()
]
MetricsDep: TypeAlias = Annotated[PaymentMetrics, Dependency(kind="named"), SkipValidationMarker()]

INJECTED = (
    "settings",
    "payments",
    "refunds",
    "fees",
    "payouts",
    "balances",
    "high_demand",
    "fraud",
    "tax_compliance",
    "tax",
    "internal_auth",
    "webhooks",
    "idempotency",
    "catalog",
    "metrics",
    "ticket_types",
    "subscribers",
)
"""The container's objects a handler may ask for by name."""


def provide(container: Container) -> dict[str, Provide]:
    """The app's dependencies: ``container`` and each of ``INJECTED``."""

    def constant(value: object) -> Callable[[], object]:
        def provided() -> object:
            return value

        return provided

    provided = {name: getattr(container, name) for name in INJECTED}
    provided["container"] = container
    return {
        name: Provide(constant(value), use_cache=True, sync_to_thread=False)
        for name, value in provided.items()
    }
