"""`tt webhooks status / retry / cleanup`, and `tt worker` running the retry job itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import AuthHeaders
from tests.e2e.processes import Process, cli_env, tt
from tests.e2e.test_webhooks_http import processing_payment, stripe_event
from tt_payments import Container, Settings
from tt_payments.db.locks import advisory_lock
from tt_payments.db.tables.payments import payment_transactions
from tt_payments.db.tables.webhooks import webhook_inbox, webhook_inbox_archive


async def failed_delivery(
    engine: AsyncEngine, *, received: dt.datetime | None = None, status: str = "failed"
) -> str:
    """An inbox row of an event type we do not handle, failed once and due for a retry."""
    event_id = f"evt_{uuid.uuid4().hex}"
    now = dt.datetime.now(dt.UTC)
    payload = {
        "id": event_id,
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(webhook_inbox).values(
                provider="stripe",
                webhook_id=event_id,
                id=uuid.uuid4(),
                event_type="customer.created",
                payload=payload,
                signature="t=1,v1=x",
                received_at=received or now,
                status=status,
                attempts=1,
                error_message="database was down",
                next_attempt_at=now - dt.timedelta(seconds=1),
                created_at=now,
                updated_at=now,
            )
        )
    return event_id


async def inbox_status(engine: AsyncEngine, event_id: str) -> str | None:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                sa.select(webhook_inbox.c.status).where(webhook_inbox.c.webhook_id == event_id)
            )
        ).scalar_one_or_none()


async def test_retry_processes_due_failures_and_status_counts_them(
    container: Container, settings: Settings
) -> None:
    event_id = await failed_delivery(container.infrastructure.engine)
    env = cli_env(settings)
    before = tt(env, "webhooks", "status", "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["due"] >= 1
    retried = tt(env, "webhooks", "retry", "--json")
    assert retried.returncode == 0, retried.stderr
    report = json.loads(retried.stdout)
    assert report["inbox"].get("unhandled", 0) >= 1
    assert await inbox_status(container.infrastructure.engine, event_id) == "processed"


async def test_retry_refuses_to_overlap_a_run_in_progress(
    container: Container, settings: Settings
) -> None:
    async with advisory_lock(
        container.infrastructure.engine, "tickettoken.job.retry_webhooks"
    ) as got:
        assert got
        result = tt(cli_env(settings), "webhooks", "retry")
    assert result.returncode == 1
    assert "in progress" in result.stderr


async def test_cleanup_deletes_old_processed_rows_and_archives_old_failures(
    container: Container, settings: Settings
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    processed = await failed_delivery(
        container.infrastructure.engine, received=old, status="processed"
    )
    failed = await failed_delivery(container.infrastructure.engine, received=old)
    recent = await failed_delivery(container.infrastructure.engine)
    result = tt(cli_env(settings), "webhooks", "cleanup", "--json")
    assert result.returncode == 0, result.stderr
    assert await inbox_status(container.infrastructure.engine, processed) is None
    assert await inbox_status(container.infrastructure.engine, failed) is None
    assert await inbox_status(container.infrastructure.engine, recent) == "failed"
    async with container.infrastructure.engine.connect() as connection:
        archived = (
            await connection.execute(
                sa.select(webhook_inbox_archive.c.status).where(
                    webhook_inbox_archive.c.webhook_id == failed
                )
            )
        ).scalar_one()
    assert archived == "failed"


async def test_tt_worker_runs_the_retry_job_on_its_schedule(
    relay_settings: Settings,
    relay_engine: AsyncEngine,
    start: Callable[..., Process],
) -> None:
    # Given a failed delivery due for a retry
    event_id = await failed_delivery(relay_engine)
    # When `tt worker` starts, its schedule sends the retry job at once
    worker = start(cli_env(relay_settings), "worker")
    deadline = time.monotonic() + 60
    while await inbox_status(relay_engine, event_id) != "processed":
        assert time.monotonic() < deadline, worker.stderr
        await asyncio.sleep(0.2)
    assert worker.terminate() == 0, worker.stderr


async def test_tt_reconcile_run_prints_its_report_and_findings_are_listed(
    relay_settings: Settings,
) -> None:
    env = cli_env(relay_settings)
    result = tt(env, "reconcile", "run", "--json", "--since", "2026-01-01")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["since"].startswith("2026-01-01")
    assert {"orphans_restored", "outbox_reset", "stale_settled", "findings"} <= set(report)
    readable = tt(env, "reconcile", "run")
    assert readable.returncode == 0, readable.stderr
    assert "compared" in readable.stdout
    listed = tt(env, "reconcile", "findings")
    assert listed.returncode == 0, listed.stderr


async def test_retry_applies_a_delivery_whose_handler_failed(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    container: Container,
    settings: Settings,
    tenant: uuid.UUID,
) -> None:
    # Given a payment left processing and its success event, stored but failed (the
    # database was down when it arrived, say)
    payment = await processing_payment(client, auth, container, tenant)
    event = stripe_event("payment_intent.succeeded", payment)
    now = dt.datetime.now(dt.UTC)
    async with container.infrastructure.engine.begin() as connection:
        await connection.execute(
            sa.insert(webhook_inbox).values(
                provider="stripe",
                webhook_id=event["id"],
                id=uuid.uuid4(),
                tenant_id=tenant,
                event_type=event["type"],
                payload=event,
                signature="t=1,v1=x",
                received_at=now,
                status="failed",
                attempts=1,
                error_message="OperationalError: the database was down",
                next_attempt_at=now - dt.timedelta(seconds=1),
                created_at=now,
                updated_at=now,
            )
        )
    # When the operator retries
    result = tt(cli_env(settings), "webhooks", "retry", "--json")
    # Then the real handler ran: the payment is completed and the row processed
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inbox"].get("applied", 0) >= 1
    assert await inbox_status(container.infrastructure.engine, event["id"]) == "processed"
    async with container.infrastructure.engine.connect() as connection:
        status = (
            await connection.execute(
                sa.select(payment_transactions.c.status).where(
                    payment_transactions.c.id == uuid.UUID(payment["id"])
                )
            )
        ).scalar_one()
    assert status == "completed"
