"""The ``tt`` command: serve, worker, migrate, outbox, tokens, venues and events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import typer

from tt_cli.balances import balances_app
from tt_cli.catalog import events_app, venues_app
from tt_cli.fraud import fraud_app
from tt_cli.ledger import ledger_app
from tt_cli.outbox import outbox_app
from tt_cli.output import fail, reports_errors
from tt_cli.payouts import payouts_app
from tt_cli.reconcile import reconcile_app
from tt_cli.serve import serve_cli
from tt_cli.tax import tax_app
from tt_cli.webhooks import webhooks_app
from tt_cli.worker import worker_cli
from tt_payments import Settings
from tt_payments.auth.identity import Role
from tt_payments.bootstrap import migrate_schema, token_service

app = typer.Typer(
    help="TicketToken Payments: run the service and operate it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="Access tokens for development and tests.", no_args_is_help=True)
app.command("serve")(serve_cli)
app.command("worker")(worker_cli)
app.add_typer(outbox_app, name="outbox")
app.add_typer(token_app, name="token")
app.add_typer(venues_app, name="venues")
app.add_typer(events_app, name="events")
app.add_typer(ledger_app, name="ledger")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(fraud_app, name="fraud")
app.add_typer(balances_app, name="balances")
app.add_typer(payouts_app, name="payouts")
app.add_typer(tax_app, name="tax")


@app.command("migrate")
@reports_errors
def migrate_cli() -> None:
    """Apply the database migrations to the configured (or embedded) database."""
    before, after = migrate_schema(Settings.from_env())
    if before == after:
        typer.echo(f"database schema already at {after}")
    else:
        typer.echo(f"database schema migrated from {before or 'empty'} to {after}")


@token_app.command("issue")
@reports_errors
def issue_token_cli(
    sub: Annotated[uuid.UUID, typer.Option(help="The user's id (UUID)")],
    tenant: Annotated[uuid.UUID, typer.Option(help="The tenant's id (UUID)")],
    role: Annotated[Role, typer.Option(help="user, venue_manager or admin")] = Role.USER,
    venue: Annotated[
        list[uuid.UUID] | None, typer.Option(help="A venue the manager manages (repeatable)")
    ] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds")] = 3600,
) -> None:
    """Print a token signed with the service's key."""
    if ttl < 1:
        raise fail("--ttl must be at least 1 second")
    venue = venue or []
    if venue and role is not Role.VENUE_MANAGER:
        raise fail("--venue only applies to --role venue_manager")
    if role is Role.VENUE_MANAGER and not venue:
        raise fail("--role venue_manager needs at least one --venue")
    tokens = token_service(Settings.from_env())
    typer.echo(
        tokens.issue(
            subject=sub,
            tenant_id=tenant,
            role=role,
            venues=venue,
            ttl=dt.timedelta(seconds=ttl),
        )
    )


if __name__ == "__main__":
    app()
