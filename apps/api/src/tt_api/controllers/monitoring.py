"""GET /metrics (Prometheus text, unauthenticated like /health: keep it on the internal
network) and GET /admin/stats (admins, their tenant's last 24 hours)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from tt_api.auth import principal_of
from tt_api.dependencies import MetricsDep, PaymentsDep
from tt_payments.clock import utcnow


class MonitoringController(Controller):
    tags = ["monitoring"]

    @get("/metrics", operation_id="getMetrics", summary="Prometheus metrics")
    async def metrics(
        self,
        metrics: MetricsDep,
    ) -> Response[bytes]:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @get("/admin/stats", operation_id="getAdminStats", summary="Payments of the last 24 hours")
    async def stats(
        self,
        request: Request[object, object, object],
        payments: PaymentsDep,
    ) -> dict[str, object]:
        last_day = await payments.stats(principal_of(request))
        return {
            "last24Hours": last_day,
            "timestamp": utcnow().isoformat(timespec="milliseconds"),
        }
