"""Running a use case from the shell: build the container, run, close."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tt_payments import Container, Settings, bootstrap
from tt_payments.identity import Principal, Role

T = TypeVar("T")

# The shell operator acts as an admin of the tenant named on the command line.
OPERATOR_ID = uuid.UUID(int=0)


def operator(tenant_id: uuid.UUID) -> Principal:
    return Principal(user_id=OPERATOR_ID, tenant_id=tenant_id, role=Role.ADMIN)


async def with_container(work: Callable[[Container], Awaitable[T]]) -> T:
    container = bootstrap(Settings.from_env())
    try:
        return await work(container)
    finally:
        await container.aclose()
