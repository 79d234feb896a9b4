"""How the CLI reports: results on stdout, problems on stderr with the error code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from tt_money.errors import TicketTokenError

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one readable line (and field details) and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TicketTokenError as error:
            details = "".join(f"\n  {field}: {text}" for field, text in error.details)
            raise fail(f"{error.code}: {error.message}{details}") from None

    return wrapper
