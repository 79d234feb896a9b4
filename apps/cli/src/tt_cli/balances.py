"""tt balances show / settle / policy: venue balances from the shell."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import reports_errors
from tt_cli.runtime import AsJson, Tenant, operator, with_container

if TYPE_CHECKING:
    from tt_ledger import VenueBalance
    from tt_payments import Container
    from tt_payments.settlement import SettlementReport

balances_app = typer.Typer(
    help="Venue balances: pending, available, reserved; settlement.", no_args_is_help=True
)

Venue = Annotated[uuid.UUID, typer.Option("--venue", help="The venue's id")]


@balances_app.command("show")
@reports_errors
def show_cli(tenant: Tenant, venue: Venue, as_json: AsJson = False) -> None:
    """The venue's balance, as GET /api/v1/venues/{venueId}/balance answers it."""

    async def run(container: Container) -> VenueBalance:
        return await container.balances.balance(operator(tenant), venue)

    balance = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(balance.to_spec_json()))
        return
    code = balance.currency.code
    for name, amount in (
        ("pending", balance.pending),
        ("available", balance.available),
        ("reserved", balance.reserved),
        ("payable", balance.payable),
    ):
        typer.echo(f"{name:<10} {amount.minor:>12} {code}  ({amount})")


@balances_app.command("settle")
@reports_errors
def settle_cli(
    tenant: Annotated[
        uuid.UUID | None, typer.Option("--tenant", help="Only this tenant [default: all]")
    ] = None,
    now: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
            help="Settle as of this moment (UTC) [default: now]",
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Move every sale that is due from pending to available (keeping the reserve) and
    release every reserve that is due. Safe to rerun and beside `tt worker`: nothing
    settles twice."""
    moment = None if now is None else (now if now.tzinfo else now.replace(tzinfo=dt.UTC))

    async def run(container: Container) -> SettlementReport:
        return await container.balances.settle(now=moment, tenant_id=tenant)

    report = asyncio.run(with_container(run))
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    typer.echo(f"sales settled      {report.sales_settled}")
    for code, amount in sorted(report.settled.items()):
        typer.echo(f"  to available     {amount} {code}")
    for code, amount in sorted(report.reserved.items()):
        typer.echo(f"  to reserve       {amount} {code}")
    typer.echo(f"reserves released  {report.reserves_released}")
    for code, amount in sorted(report.released.items()):
        typer.echo(f"  released         {amount} {code}")


@balances_app.command("policy")
@reports_errors
def policy_cli(
    tenant: Tenant,
    venue: Venue,
    delay_days: Annotated[int, typer.Option(min=0, max=365, help="Days after the event")] = 2,
    reserve_bps: Annotated[
        int, typer.Option(min=0, max=10_000, help="Rolling reserve, basis points")
    ] = 500,
    reserve_hold_days: Annotated[int, typer.Option(min=0, max=730)] = 90,
    dispute_reserve_bps: Annotated[
        int, typer.Option(min=0, max=10_000, help="Reserve after a dispute (90 days)")
    ] = 1000,
) -> None:
    """Set the venue's settlement delay and rolling reserve."""
    from tt_ledger import SettlementPolicy

    policy = SettlementPolicy(
        delay_days=delay_days,
        reserve_bps=reserve_bps,
        reserve_hold_days=reserve_hold_days,
        dispute_reserve_bps=dispute_reserve_bps,
    )

    async def run(container: Container) -> None:
        await container.balances.set_policy(operator(tenant), venue, policy)

    asyncio.run(with_container(run))
    typer.echo(
        f"venue {venue}: settles {delay_days} days after the event, reserve {reserve_bps} bps "
        f"({dispute_reserve_bps} after a dispute) held {reserve_hold_days} days"
    )
