"""tt reconcile run / findings: our records against the processor's."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.reconciliation.service import ReconciliationReport

reconcile_app = typer.Typer(
    help="Reconciliation: find and fix differences with the payment processor.",
    no_args_is_help=True,
)


@reconcile_app.command("run")
@reports_errors
def run_cli(
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
            help="Compare processor objects created since then (UTC) [default: 24 h ago]",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """One reconciliation run now: orphaned payments, stuck outbox rows, stale payments,
    and the processor's payments and refunds since --since. Safe beside `tt worker`."""
    start = None if since is None else (since if since.tzinfo else since.replace(tzinfo=dt.UTC))

    async def run(container: Container) -> ReconciliationReport | None:
        return await container.reconciliation.run(since=start)

    report = asyncio.run(with_container(run))
    if report is None:
        raise fail("another reconciliation is running (tt worker?); try again shortly")
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    typer.echo(
        f"window            {report.since:%Y-%m-%d %H:%M} .. {report.until:%Y-%m-%d %H:%M} UTC"
    )
    typer.echo(f"orphans restored  {report.orphans_restored}")
    typer.echo(f"outbox reset      {report.outbox_reset}")
    typer.echo(
        f"stale payments    {report.stale_settled} settled, {report.stale_expired} expired, "
        f"{report.stale_unresolved} still unknown"
    )
    typer.echo(
        f"compared          {report.charges_checked} payments, {report.refunds_checked} refunds"
    )
    for fix in report.fixes:
        typer.echo(f"fixed: {fix}")
    for finding in report.findings:
        flag = "new" if finding["new"] == "true" else "on file"
        typer.echo(f"finding ({flag}): {finding['kind']} {finding['object']}")
    if not report.fixes and not report.findings:
        typer.echo("no differences")


@reconcile_app.command("findings")
@reports_errors
def findings_cli(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """The open findings, oldest first: differences that need a person."""

    async def run(container: Container) -> list[dict[str, Any]]:
        return await container.reconciliation.records.open_findings()

    rows = asyncio.run(with_container(run))
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row, default=str))
        else:
            typer.echo(
                f"{row['created_at']:%Y-%m-%d %H:%M}  {row['kind']:<26} "
                f"{row['provider_object_id']}  payment {row['payment_id'] or '-'}  "
                f"{json.dumps(row['details'])}"
            )
    if not rows and not as_json:
        typer.echo("no open findings")
