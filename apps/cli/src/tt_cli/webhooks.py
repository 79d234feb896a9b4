"""tt webhooks status / retry / cleanup: the operator's view of incoming provider events;
tt webhooks subscribers / deliveries: our events going out to subscribers."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import operator, with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.subscribers.records import Subscriber

webhooks_app = typer.Typer(
    help="Provider webhooks: the inbox, failed deliveries and held payment events.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@webhooks_app.command("status")
@reports_errors
def status_cli(as_json: JsonOption = False) -> None:
    """Inbox rows by status (and failed ones due for a retry), and held payment events."""

    async def run(container: Container) -> dict[str, int]:
        status = await container.webhooks.inbox.status()
        status["held_events"] = await container.payments.payments.count_held_events()
        return status

    status = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(status))
        return
    for name in ("pending", "processed", "failed", "due", "held_events"):
        typer.echo(f"{name.replace('_', ' '):<13} {status[name]}")


@webhooks_app.command("retry")
@reports_errors
def retry_cli(as_json: JsonOption = False) -> None:
    """Process the failed deliveries that are due, then the held payment events, now.

    The same job ``tt worker`` runs every 30 seconds; safe beside it (one run at a time).
    """
    report = _run_job("retry_webhooks")
    _print(report, as_json)


@webhooks_app.command("cleanup")
@reports_errors
def cleanup_cli(as_json: JsonOption = False) -> None:
    """Delete processed deliveries older than 30 days; archive failed ones older than 7."""
    _print(_run_job("cleanup_webhooks"), as_json)


def _run_job(name: str) -> dict[str, Any]:
    async def run(container: Container) -> dict[str, Any] | None:
        return await container.jobs.by_name()[name]()

    report = asyncio.run(with_container(run))
    if report is None:
        raise fail(f"another {name} run is in progress (tt worker?); try again shortly")
    return report


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report))
        return
    for name, value in report.items():
        if isinstance(value, dict):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "nothing to do"
            typer.echo(f"{name}: {counts}")
        else:
            typer.echo(f"{name}: {value}")


subscribers_app = typer.Typer(
    help="Event subscribers: services that receive our events as signed POSTs.",
    no_args_is_help=True,
)
deliveries_app = typer.Typer(
    help="Deliveries of events to subscribers: list, and redrive dead ones.",
    no_args_is_help=True,
)
webhooks_app.add_typer(subscribers_app, name="subscribers")
webhooks_app.add_typer(deliveries_app, name="deliveries")

TenantOption = Annotated[uuid.UUID, typer.Option(help="Tenant id (UUID)")]


@subscribers_app.command("add")
@reports_errors
def add_subscriber_cli(
    tenant: TenantOption,
    url: Annotated[str, typer.Option(help="Where events are POSTed (http:// or https://)")],
    events: Annotated[
        str, typer.Option(help="Event types, comma-separated (default: every type)")
    ] = "",
    secret: Annotated[
        str | None,
        typer.Option(help="The HMAC secret to sign with (default: a new one, printed once)"),
    ] = None,
) -> None:
    """Add a subscriber; prints it with its secret (shown only now) as JSON."""
    kinds = [kind.strip() for kind in events.split(",") if kind.strip()]

    async def run(container: Container) -> Subscriber:
        return await container.subscribers.add(
            operator(tenant), url=url, event_types=kinds, secret=secret
        )

    added = asyncio.run(with_container(run))
    typer.echo(json.dumps({**_subscriber_json(added), "secret": added.secret}))


@subscribers_app.command("list")
@reports_errors
def list_subscribers_cli(tenant: TenantOption) -> None:
    """The tenant's subscribers, one JSON object a line (secrets not shown)."""

    async def run(container: Container) -> list[Subscriber]:
        return await container.subscribers.of_tenant(operator(tenant))

    rows = asyncio.run(with_container(run))
    for row in rows:
        typer.echo(json.dumps(_subscriber_json(row)))
    if not rows:
        typer.echo("no subscribers", err=True)


@subscribers_app.command("remove")
@reports_errors
def remove_subscriber_cli(
    subscriber: Annotated[uuid.UUID, typer.Argument(help="The subscriber's id")],
    tenant: TenantOption,
) -> None:
    """Remove a subscriber; its undelivered events are dropped with it."""

    async def run(container: Container) -> None:
        await container.subscribers.remove(operator(tenant), subscriber)

    asyncio.run(with_container(run))
    typer.echo(f"removed subscriber {subscriber}", err=True)


@deliveries_app.command("list")
@reports_errors
def list_deliveries_cli(
    tenant: TenantOption,
    status: Annotated[
        str | None, typer.Option(help="pending, delivered or dead (default: all)")
    ] = None,
    subscriber: Annotated[uuid.UUID | None, typer.Option(help="Only this subscriber's")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The newest deliveries, one JSON object a line."""
    from tt_payments.subscribers.records import DeliveryStatus

    try:
        wanted = None if status is None else DeliveryStatus(status)
    except ValueError:
        raise fail(f"--status must be pending, delivered or dead, not {status!r}") from None

    async def run(container: Container) -> list[Any]:
        return await container.subscribers.deliveries(
            operator(tenant), status=wanted, subscriber_id=subscriber, limit=limit
        )

    for row in asyncio.run(with_container(run)):
        typer.echo(
            json.dumps(
                {
                    "id": row.id,
                    "subscriberId": str(row.subscriber_id),
                    "eventId": str(row.event_id),
                    "eventType": row.event_type,
                    "orderingKey": str(row.ordering_key),
                    "status": row.status.value,
                    "attempts": row.attempts,
                    "lastStatus": row.last_status,
                    "lastError": row.last_error,
                    "nextAttemptAt": row.next_attempt_at.isoformat(),
                    "deliveredAt": row.delivered_at.isoformat() if row.delivered_at else None,
                }
            )
        )


@deliveries_app.command("redrive")
@reports_errors
def redrive_deliveries_cli(
    tenant: TenantOption,
    subscriber: Annotated[uuid.UUID | None, typer.Option(help="Only this subscriber's")] = None,
    ids: Annotated[
        str, typer.Option(help="Delivery ids, comma-separated (default: every dead one)")
    ] = "",
) -> None:
    """Try dead deliveries again now, in their order; prints how many."""
    try:
        chosen = [int(part) for part in ids.split(",") if part.strip()] or None
    except ValueError:
        raise fail("--ids must be delivery ids (integers), comma-separated") from None

    async def run(container: Container) -> int:
        return await container.subscribers.redrive(
            operator(tenant), ids=chosen, subscriber_id=subscriber
        )

    typer.echo(json.dumps({"redriven": asyncio.run(with_container(run))}))


def _subscriber_json(subscriber: Subscriber) -> dict[str, object]:
    return {
        "id": str(subscriber.id),
        "url": subscriber.url,
        "eventTypes": list(subscriber.event_types),
        "createdAt": subscriber.created_at.isoformat() if subscriber.created_at else None,
    }
