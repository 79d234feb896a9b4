"""tt webhooks status / retry / cleanup: the operator's view of incoming provider events."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import with_container

if TYPE_CHECKING:
    from tt_payments import Container

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
