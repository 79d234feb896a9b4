"""tt fraud checks / scalpers / policy: the fraud admin's view from the shell."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import AsJson, Tenant, operator, with_container

if TYPE_CHECKING:
    from tt_payments import Container
    from tt_payments.fraud.records import FraudCheckRow, KnownScalperRow
    from tt_payments.fraud.service import FraudPolicy

fraud_app = typer.Typer(
    help="Fraud detection: decisions, known scalpers, velocity limits and rules.",
    no_args_is_help=True,
)
scalpers_app = typer.Typer(help="The known-scalper list.", no_args_is_help=True)
fraud_app.add_typer(scalpers_app, name="scalpers")


@fraud_app.command("checks")
@reports_errors
def checks_cli(
    tenant: Tenant,
    user: Annotated[uuid.UUID | None, typer.Option(help="Only this buyer's")] = None,
    decision: Annotated[
        str | None, typer.Option(help="Only approve, review, challenge or decline")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first")] = 20,
    as_json: AsJson = False,
) -> None:
    """The newest fraud decisions with their score, rule and signals."""

    async def run(container: Container) -> list[FraudCheckRow]:
        return await container.fraud.checks(
            operator(tenant), user_id=user, decision=decision, limit=limit
        )

    rows = asyncio.run(with_container(run))
    for row in rows:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": str(row.id),
                        "userId": str(row.user_id),
                        "eventId": None if row.event_id is None else str(row.event_id),
                        "decision": row.decision,
                        "score": str(row.score),
                        "rule": row.rule,
                        "signals": [dict(signal) for signal in row.signals],
                        "timestamp": row.timestamp.isoformat(),
                    }
                )
            )
            continue
        names = ", ".join(str(signal.get("name")) for signal in row.signals) or "-"
        typer.echo(
            f"{row.timestamp:%Y-%m-%d %H:%M:%S}  {row.decision:<9}  {row.score}  "
            f"user {row.user_id}  rule {row.rule or '-'}  signals {names}"
        )
    if not rows and not as_json:
        typer.echo("no fraud checks")


@scalpers_app.command("list")
@reports_errors
def scalpers_list_cli(tenant: Tenant, as_json: AsJson = False) -> None:
    """The active known scalpers."""

    async def run(container: Container) -> list[KnownScalperRow]:
        return await container.fraud.scalpers(operator(tenant))

    rows = asyncio.run(with_container(run))
    for row in rows:
        _print_scalper(row, as_json=as_json)
    if not rows and not as_json:
        typer.echo("no known scalpers")


@scalpers_app.command("add")
@reports_errors
def scalpers_add_cli(
    tenant: Tenant,
    reason: Annotated[str, typer.Option(help="Why (kept with the entry)")],
    user: Annotated[uuid.UUID | None, typer.Option(help="The scalper's user id")] = None,
    device: Annotated[str | None, typer.Option(help="A device fingerprint")] = None,
    confidence: Annotated[str, typer.Option(help="0.00 to 1.00")] = "1.00",
    as_json: AsJson = False,
) -> None:
    """Mark a user (or a device) as a known scalper: their payments are declined."""
    if user is None and device is None:
        raise fail("name a --user or a --device")
    try:
        score = Decimal(confidence)
    except ArithmeticError:
        score = Decimal(-1)
    if not Decimal(0) <= score <= Decimal(1):
        raise fail(f"--confidence must be a decimal from 0 to 1, got {confidence!r}")

    async def run(container: Container) -> tuple[KnownScalperRow, bool]:
        return await container.fraud.add_scalper(
            operator(tenant),
            user_id=user,
            device_fingerprint=device,
            reason=reason,
            confidence=score,
        )

    row, created = asyncio.run(with_container(run))
    if not as_json:
        typer.echo("added" if created else "already listed; reason and confidence updated")
    _print_scalper(row, as_json=as_json)


@scalpers_app.command("remove")
@reports_errors
def scalpers_remove_cli(
    tenant: Tenant, scalper_id: Annotated[uuid.UUID, typer.Argument(help="The entry's id")]
) -> None:
    """Take an entry off the list (it is kept, inactive)."""

    async def run(container: Container) -> bool:
        return await container.fraud.remove_scalper(operator(tenant), scalper_id)

    if not asyncio.run(with_container(run)):
        raise fail(f"no active known scalper {scalper_id}")
    typer.echo(f"removed {scalper_id}")


@fraud_app.command("policy")
@reports_errors
def policy_cli(
    tenant: Tenant,
    event: Annotated[
        uuid.UUID | None, typer.Option(help="One event's policy instead of the tenant's")
    ] = None,
    velocity: Annotated[
        Path | None, typer.Option(help='JSON file: {"limits": [...]} to set', exists=True)
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help='JSON file: {"rules": [...]} to set', exists=True)
    ] = None,
    reset: Annotated[bool, typer.Option(help="Back to the built-in defaults")] = False,
) -> None:
    """Show the policy in force, or set its velocity limits and rules from JSON files."""
    change = reset or velocity is not None or rules is not None

    async def run(container: Container) -> FraudPolicy:
        principal = operator(tenant)
        if change:
            return await container.fraud.set_policy(
                principal,
                event,
                velocity=None if velocity is None else _read_json(velocity),
                rules=None if rules is None else _read_json(rules),
            )
        return await container.fraud.policy(principal, event)

    from tt_fraud import rules_to_json

    policy = asyncio.run(with_container(run))
    typer.echo(
        json.dumps(
            {"velocity": policy.velocity.to_json(), "rules": rules_to_json(policy.engine.rules)},
            indent=2,
        )
    )


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise fail(f"{path} is not JSON: {error}") from None


def _print_scalper(row: KnownScalperRow, *, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": str(row.id),
                    "userId": None if row.user_id is None else str(row.user_id),
                    "deviceFingerprint": row.device_fingerprint,
                    "reason": row.reason,
                    "confidence": str(row.confidence_score),
                    "addedAt": row.added_at.isoformat(),
                }
            )
        )
        return
    who = f"user {row.user_id}" if row.user_id else f"device {row.device_fingerprint}"
    typer.echo(f"{row.id}  {who}  confidence {row.confidence_score}  {row.reason}")
