"""tt payouts list / show / run / destination: venue payouts from the shell."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import reports_errors
from tt_cli.runtime import AsJson, Tenant, operator, with_container

if TYPE_CHECKING:
    from tt_money.errors import TicketTokenError
    from tt_payments import Container
    from tt_payments.payouts import PayoutRecord, RunReport

payouts_app = typer.Typer(help="Venue payouts.", no_args_is_help=True)


def _json(payout: PayoutRecord) -> str:
    return json.dumps(
        {
            "id": str(payout.id),
            "venueId": str(payout.venue_id),
            "amount": payout.amount.minor,
            "fee": payout.fee.minor,
            "net": payout.net.minor,
            "currency": payout.amount.currency.code,
            "type": payout.method.value,
            "status": payout.status.value,
            "providerPayoutId": payout.provider_payout_id,
            "failureCode": payout.failure_code,
            "createdAt": payout.created_at.isoformat(),
        }
    )


def _line(payout: PayoutRecord) -> str:
    return (
        f"{payout.created_at:%Y-%m-%d %H:%M}  {payout.id}  venue {payout.venue_id}  "
        f"{payout.amount.minor:>10} {payout.amount.currency.code}  fee {payout.fee.minor:>6}  "
        f"{payout.method.value:<8}  {payout.status.value}"
        + (f"  ({payout.failure_code})" if payout.failure_code else "")
    )


@payouts_app.command("list")
@reports_errors
def list_cli(
    tenant: Tenant,
    venue: Annotated[uuid.UUID | None, typer.Option(help="Only this venue's")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: AsJson = False,
) -> None:
    """The newest payouts."""

    async def run(container: Container) -> list[PayoutRecord]:
        return await container.payouts.recent(operator(tenant), venue_id=venue, limit=limit)

    rows = asyncio.run(with_container(run))
    for payout in rows:
        typer.echo(_json(payout) if as_json else _line(payout))
    if not rows and not as_json:
        typer.echo("no payouts")


@payouts_app.command("show")
@reports_errors
def show_cli(
    tenant: Tenant,
    payout_id: Annotated[uuid.UUID, typer.Argument(help="The payout's id")],
) -> None:
    """One payout, as JSON."""

    async def run(container: Container) -> PayoutRecord:
        return await container.payouts.visible(operator(tenant), payout_id)

    typer.echo(_json(asyncio.run(with_container(run))))


@payouts_app.command("destination")
@reports_errors
def destination_cli(
    tenant: Tenant,
    venue: Annotated[uuid.UUID, typer.Option(help="The venue")],
    account: Annotated[str, typer.Option(help="Its payout account (Stripe Connect acct_...)")],
    threshold: Annotated[
        int, typer.Option(min=0, help="`tt payouts run` pays it above this many cents")
    ] = 10_000,
) -> None:
    """Where a venue is paid, and from what balance `tt payouts run` pays it."""

    async def run(container: Container) -> None:
        from tt_payments.payouts import PayoutSettings

        await container.payouts.set_destination(
            operator(tenant), venue, PayoutSettings(destination=account, threshold_minor=threshold)
        )

    asyncio.run(with_container(run))
    typer.echo(f"venue {venue}: paid to {account} above {threshold} cents")


@payouts_app.command("run")
@reports_errors
def run_cli(
    tenant: Tenant,
    instant: Annotated[bool, typer.Option(help="Instant payouts (1 % fee)")] = False,
) -> None:
    """Pay every venue of the tenant whose payable balance is above its threshold, then
    bring pending and in-transit payouts up to date. Safe to rerun: a venue paid out has
    nothing payable left, and a payout is never sent twice."""

    def progress(
        done: int, of: int, venue_id: uuid.UUID, outcome: PayoutRecord | TicketTokenError
    ) -> None:
        if isinstance(outcome, BaseException):
            typer.echo(
                f"[{done}/{of}] venue {venue_id}: {outcome.code}: {outcome.message}", err=True
            )
        else:
            typer.echo(f"[{done}/{of}] {_line(outcome)}")

    async def run(container: Container) -> RunReport:
        return await container.payouts.run_due(operator(tenant), instant=instant, progress=progress)

    report = asyncio.run(with_container(run))
    typer.echo(
        f"venues paid {len(report.requested)}, refused {len(report.refused)}, "
        f"below their threshold {report.below_threshold}; "
        f"payouts brought up to date {report.synced}"
    )
