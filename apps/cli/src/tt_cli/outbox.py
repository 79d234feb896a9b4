"""tt outbox status / dead-letters / redrive: the operator's view of event publishing."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.outbox import DeadLetter, OutboxStatus

outbox_app = typer.Typer(
    help="The outbox: events waiting to be published, and the dead letters.",
    no_args_is_help=True,
)

TenantOption = Annotated[
    uuid.UUID | None, typer.Option(help="Only this tenant's rows [default: all tenants]")
]


@outbox_app.command("status")
@reports_errors
def status_cli(
    tenant: TenantOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Pending, due and retrying events, the oldest one's age, and the dead letters."""

    async def run(container: Container) -> OutboxStatus:
        return await container.outbox.status(tenant)

    status = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(status_json(status, tenant)))
        return
    age = status.oldest_pending_age
    typer.echo(f"pending:      {status.pending}")
    typer.echo(f"due now:      {status.due}")
    typer.echo(f"retrying:     {status.retrying}")
    typer.echo(f"oldest age:   {f'{age.total_seconds():.1f} s' if age is not None else '-'}")
    typer.echo(f"dead letters: {status.dead_letters}")


@outbox_app.command("dead-letters")
@reports_errors
def dead_letters_cli(
    tenant: TenantOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many")] = 100,
) -> None:
    """The newest dead letters as JSON lines (their ids are what redrive --id takes)."""

    async def run(container: Container) -> list[DeadLetter]:
        return list(await container.outbox.dead_letters(tenant, limit=limit))

    for letter in asyncio.run(with_container(run)):
        typer.echo(json.dumps(dead_letter_json(letter)))


@outbox_app.command("redrive")
@reports_errors
def redrive_cli(
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="A dead letter's id (repeatable)")
    ] = None,
    redrive_all: Annotated[bool, typer.Option("--all", help="Every dead letter")] = False,
    tenant: TenantOption = None,
) -> None:
    """Move dead letters back to the outbox, due now with attempts reset. Safe to rerun."""
    if bool(ids) == redrive_all:
        raise fail("give either --id (one or more) or --all")

    async def run(container: Container) -> int:
        return await container.outbox.redrive(None if redrive_all else ids, tenant)

    moved = asyncio.run(with_container(run))
    typer.echo(json.dumps({"redriven": moved}))


def status_json(status: OutboxStatus, tenant: uuid.UUID | None) -> dict[str, object]:
    age = status.oldest_pending_age
    oldest = status.oldest_pending_at
    return {
        "tenantId": str(tenant) if tenant is not None else None,
        "pending": status.pending,
        "due": status.due,
        "retrying": status.retrying,
        "oldestPendingAt": oldest.isoformat() if oldest is not None else None,
        "oldestPendingAgeSeconds": round(age.total_seconds(), 3) if age is not None else None,
        "deadLetters": status.dead_letters,
    }


def dead_letter_json(letter: DeadLetter) -> dict[str, object]:
    return {
        "id": letter.id,
        "tenantId": str(letter.tenant_id),
        "originalId": letter.original_id,
        "eventId": str(letter.event_id),
        "type": letter.event_type,
        "attempts": letter.attempts,
        "lastError": letter.last_error,
        "occurredAt": letter.occurred_at.isoformat(),
        "movedAt": letter.moved_at.isoformat(),
    }
