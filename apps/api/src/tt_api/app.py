"""The Litestar app factory: one app per container, no globals."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.types import Receive, Scope, Send

from tt_api.auth import BearerTokenMiddleware
from tt_api.body import decode_strict_body
from tt_api.controllers.admin import AdminCatalogController
from tt_api.controllers.compliance import ComplianceController
from tt_api.controllers.fraud import FraudAdminController
from tt_api.controllers.health import HealthController
from tt_api.controllers.high_demand import AdminHighDemandController, WaitingRoomController
from tt_api.controllers.internal import InternalController
from tt_api.controllers.monitoring import MonitoringController
from tt_api.controllers.payments import PaymentsController
from tt_api.controllers.subscribers import AdminSubscribersController
from tt_api.controllers.venues import VenuesController
from tt_api.controllers.webhooks import WebhooksController
from tt_api.dependencies import provide
from tt_api.errors import exception_to_response
from tt_api.request_context import with_request_context
from tt_payments import Container
from tt_payments.settings import SERVICE_VERSION

MAX_BODY_BYTES = 64 * 1024


class PaymentsApp(Litestar):
    """Litestar with the request context around everything it does, routing included."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            await with_request_context(super().__call__, scope, receive, send)  # type: ignore[arg-type]
        else:
            await super().__call__(scope, receive, send)  # type: ignore[arg-type]


def create_app(container: Container) -> PaymentsApp:
    return PaymentsApp(
        route_handlers=[
            HealthController,
            MonitoringController,
            PaymentsController,
            AdminCatalogController,
            InternalController,
            WebhooksController,
            AdminHighDemandController,
            WaitingRoomController,
            FraudAdminController,
            AdminSubscribersController,
            VenuesController,
            ComplianceController,
        ],
        dependencies=provide(container),
        # Read by the internal routes' before_request hook, which takes no dependencies.
        state=State({"internal_auth": container.internal_auth}),
        middleware=[DefineMiddleware(BearerTokenMiddleware, tokens=container.tokens)],
        before_request=decode_strict_body,
        exception_handlers={Exception: exception_to_response},
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="TicketToken Payments", version=SERVICE_VERSION, path="/schema"
        ),
        logging_config=None,
    )
