"""GET /health, /health/db and /info (no authentication)."""

from __future__ import annotations

from litestar import Controller, Response, get

from tt_api.dependencies import ContainerDep
from tt_payments.clock import utcnow
from tt_payments.settings import DEFAULT_PORT, SERVICE_NAME, SERVICE_VERSION


def _status(ok: bool) -> str:
    return "healthy" if ok else "unhealthy"


class HealthController(Controller):
    tags = ["health"]

    @get("/health", operation_id="getHealth", summary="Liveness, with each dependency's state")
    async def health(self, container: ContainerDep) -> Response[dict[str, object]]:
        report = await container.health()
        body: dict[str, object] = {
            "status": _status(report.healthy),
            "service": SERVICE_NAME,
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
            "components": {
                **{name: _status(ok) for name, ok in report.components.items()},
                "processor": container.settings.processor,
            },
        }
        return Response(body, status_code=200 if report.healthy else 503)

    @get("/health/db", operation_id="getDatabaseHealth", summary="Database check")
    async def database(self, container: ContainerDep) -> Response[dict[str, object]]:
        report = await container.database_health()
        body: dict[str, object] = {
            "status": _status(report.healthy),
            "database": _status(report.components["database"]),
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
        }
        return Response(body, status_code=200 if report.healthy else 503)

    @get("/info", operation_id="getInfo", summary="Service information")
    async def info(self, container: ContainerDep) -> dict[str, object]:
        settings = container.settings
        return {
            "service": SERVICE_NAME,
            "version": SERVICE_VERSION,
            "port": settings.port or DEFAULT_PORT,
            "processor": settings.processor,
            "embedded": settings.embedded,
            "startedAt": container.started_at.isoformat(timespec="seconds"),
            # What this build can do today; later issues switch features on as they land.
            "features": {
                "stripe": False,
                "square": False,
                "webhooks": False,
                "reconciliation": False,
                "nftIntegration": False,
                "notifications": False,
                "fraudDetection": False,
                "feeCalculation": True,
                "taxCalculation": True,
            },
            "status": "running",
        }
