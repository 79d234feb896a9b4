"""GET /health, /health/db, /info and the OpenAPI document."""

from __future__ import annotations

import httpx


async def test_health_reports_each_component(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "payment-service"
    assert body["components"] == {
        "database": "healthy",
        "redis": "healthy",
        "processor": "simulated",
    }


async def test_database_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/db")
    assert response.status_code == 200
    assert response.json()["database"] == "healthy"


async def test_info_describes_the_service(client: httpx.AsyncClient) -> None:
    body = (await client.get("/info")).json()
    assert body["service"] == "payment-service"
    assert body["version"] == "1.0.0"
    assert body["port"] == 3005
    assert body["status"] == "running"
    assert body["features"]["feeCalculation"] is True


async def test_openapi_document_lists_the_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert "/api/v1/payments/calculate-fees" in paths
    assert "/api/v1/admin/venues/{venue_id}" in paths
