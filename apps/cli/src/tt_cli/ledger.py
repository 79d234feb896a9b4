"""tt ledger verify: recompute every balance from the postings and report differences."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import reports_errors
from tt_cli.runtime import with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.ledger.records import VerifyReport

ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


@ledger_app.command("verify")
@reports_errors
def verify_cli(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check that every entry balances and every kept balance equals its postings.

    Exits 1 when anything differs, so it can gate a deploy or page from a cron job.
    """

    async def run(container: Container) -> VerifyReport:
        return await container.ledger.verify()

    report = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(_as_dict(report), indent=2))
    else:
        typer.echo(
            f"ledger verify: {report.entries_checked} entries, "
            f"{report.accounts_checked} accounts checked"
        )
        for entry in report.unbalanced_entries:
            typer.echo(f"  UNBALANCED entry {entry}")
        for difference in report.differences:
            typer.echo(
                f"  DIFFERENCE {difference.kind}/{difference.owner} {difference.currency} "
                f"(tenant {difference.tenant_id}): stored {difference.stored}, "
                f"postings say {difference.from_postings}"
            )
        typer.echo("ledger verify: OK" if report.ok else "ledger verify: FAILED")
    if not report.ok:
        raise typer.Exit(1)


def _as_dict(report: VerifyReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "entriesChecked": report.entries_checked,
        "accountsChecked": report.accounts_checked,
        "unbalancedEntries": [str(entry) for entry in report.unbalanced_entries],
        "differences": [
            {
                "accountId": str(item.account_id),
                "tenantId": str(item.tenant_id),
                "kind": item.kind,
                "owner": item.owner,
                "currency": item.currency,
                "stored": item.stored,
                "fromPostings": item.from_postings,
            }
            for item in report.differences
        ],
    }
