"""Running a use case from the shell: build the container, run, close."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from tt_cli.output import fail
from tt_payments.auth.identity import Principal, Role

if TYPE_CHECKING:
    from tt_payments import Container

T = TypeVar("T")

Tenant = Annotated[uuid.UUID, typer.Option("--tenant", help="The tenant's id")]
"""The ``--tenant`` option every admin command takes."""
AsJson = Annotated[bool, typer.Option("--json", help="JSON (one object a line)")]

# The shell operator acts as an admin of the tenant named on the command line.
OPERATOR_ID = uuid.UUID(int=0)


def operator(tenant_id: uuid.UUID) -> Principal:
    return Principal(user_id=OPERATOR_ID, tenant_id=tenant_id, role=Role.ADMIN)


async def with_container(work: Callable[[Container], Awaitable[T]]) -> T:
    from tt_payments import Settings, bootstrap

    container = bootstrap(Settings.from_env())
    try:
        return await work(container)
    finally:
        await container.aclose()


def require_current_schema(container: Container) -> None:
    """Refuse to run a long-lived process on a database this build's schema is not on."""
    current, head = container.schema_revisions()
    if current != head:
        raise fail(
            f"the database schema is at revision {current or 'none'} but this build needs "
            f"{head}; run `tt migrate` first"
        )
