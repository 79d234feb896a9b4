"""tt tax nexus / tax forms generate: sales-tax nexus and Forms 1099-DA from the shell."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import reports_errors
from tt_cli.runtime import AsJson, Tenant, with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.tax.compliance import FormsReport, NexusStatus

tax_app = typer.Typer(help="Sales-tax nexus and Form 1099-DA.", no_args_is_help=True)
forms_app = typer.Typer(help="Forms 1099-DA (NOTES item 8).", no_args_is_help=True)
tax_app.add_typer(forms_app, name="forms")


@tax_app.command("nexus")
@reports_errors
def nexus_cli(
    tenant: Tenant,
    year: Annotated[
        int | None, typer.Option(min=2000, max=2199, help="Only this calendar year")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
) -> None:
    """Sales and transactions per state and calendar year against each state's
    economic-nexus threshold, and when it was crossed."""

    async def run(container: Container) -> list[NexusStatus]:
        # Up to date first (the same run as the track_nexus job; skipped if one is on).
        await container.jobs.track_nexus()
        return await container.tax_compliance.nexus_table(tenant, year)

    from tt_tax import dollars

    rows = asyncio.run(with_container(run))
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.as_json()))
        return
    if not rows:
        typer.echo("no taxed sales recorded")
        return
    typer.echo(
        f"{'state':<6}{'year':<6}{'sales':>16}{'txns':>8}{'threshold':>26}  {'met':<4}crossed at"
    )
    for row in rows:
        data = row.as_json()
        typer.echo(
            f"{row.row.state:<6}{row.row.year:<6}"
            f"{dollars(row.row.totals.sales_cents):>16}{row.row.totals.transactions:>8}"
            f"{_threshold(data):>26}  {'yes' if row.met else 'no':<4}"
            f"{data['crossedAt'] or '-'}"
        )


def _threshold(data: dict[str, object]) -> str:
    from tt_tax import dollars

    sales, count = data["thresholdSalesCents"], data["thresholdTransactions"]
    parts = [] if sales is None else [f"${dollars(int(str(sales)))}"]
    parts += [] if count is None else [f"{count} txns"]
    return f" {data['combinator'] or ''} ".join(parts) or "none"


@forms_app.command("generate")
@reports_errors
def generate_cli(
    tenant: Tenant,
    year: Annotated[int, typer.Option(min=2025, max=2199, help="The tax year")],
    as_json: AsJson = False,
) -> None:
    """Generate the Form 1099-DA (JSON and PDF) of every user whose gross proceeds in the
    year exceed $600.00. Safe to rerun: one form per user and year, rewritten only when its
    content changed."""

    def progress(users: Sequence[uuid.UUID]) -> Iterator[uuid.UUID]:
        with typer.progressbar(users, label="building forms", file=None) as bar:
            yield from bar

    async def run(container: Container) -> FormsReport:
        return await container.tax_compliance.generate_forms(tenant, year, progress=progress)

    report = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    typer.echo(
        f"tax year {report.tax_year}: {report.users} users with dispositions; forms created "
        f"{report.created}, updated {report.updated}, unchanged {report.unchanged}; "
        f"at or under $600.00 {report.not_required}; "
        f"without payee details {len(report.missing_payee)}"
    )
    for user in report.missing_payee:
        typer.echo(f"  no payee name/TIN/address for user {user}: no form", err=True)
