"""tt serve: the whole service on one machine (embedded by default)."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import require_current_schema
from tt_payments import Settings, bootstrap

if TYPE_CHECKING:
    from litestar import Litestar

    from tt_payments.bootstrap import Container


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


_RUN_DIR = "TT_SERVE_RUN_DIR"
"""Set by `tt serve --workers N` for its processes: where they share metrics and the lock
that elects the one process relaying the outbox (internal; not a setting)."""


@reports_errors
def serve_cli(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: TT_HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: TT_PORT or 3005]")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes sharing the port [default: TT_WORKERS, or one per core]",
        ),
    ] = None,
) -> None:
    """Run the API. With no TT_DATABASE_URL it starts embedded PostgreSQL and Redis.

    The embedded default also relays the outbox in-process (to RabbitMQ with
    TT_BROKER_URL, else to the log); TT_RELAY_IN_PROCESS overrides that. With more than
    one process, one of them relays.
    """
    # The web stack loads only for this command, not for every `tt` invocation.
    import uvicorn

    from tt_api.logs import configure_logging

    settings = Settings.from_env()
    host = host or settings.host
    port = port or settings.port
    processes = workers or settings.server_processes
    if not port_is_free(host, port):
        raise fail(
            f"port {port} on {host} is already in use (is another `tt serve` running?); "
            "stop it or choose another port with --port or TT_PORT"
        )
    configure_logging(settings.log_level)
    where = (
        f"embedded servers under {settings.data_dir.resolve()}"
        if settings.embedded
        else "configured servers"
    )
    typer.echo(f"tt serve: starting with {where} ...", err=True)
    container = bootstrap(settings)
    try:
        _check_ready(container)
        app = (
            _serving_app(container, relay=settings.runs_relay_in_process)
            if processes == 1
            else None
        )
    except BaseException:
        asyncio.run(container.aclose())
        raise
    typer.echo(
        f"tt serve: listening on http://{host}:{port} with {processes} "
        f"process{'es' if processes > 1 else ''}  (API docs: /schema, health: /health)\n"
        "tt serve: get a token with `tt token issue --sub <uuid> --tenant <uuid> --role admin`",
        err=True,
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
    }
    if app is not None:
        uvicorn.run(app, **options)
        sys.exit(0)
    # Several processes: this one checked the schema and keys, holds the embedded servers
    # (each process joins them; the last to leave stops them) and supervises uvicorn's
    # workers, which build their own service from the same environment.
    with tempfile.TemporaryDirectory(prefix="tt-serve-") as run_dir:
        metrics_dir = Path(run_dir, "metrics")
        metrics_dir.mkdir()
        os.environ[_RUN_DIR] = run_dir
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        try:
            uvicorn.run(
                "tt_cli.serve:worker_app",
                factory=True,
                workers=processes,
                **options,
            )
        finally:
            asyncio.run(container.aclose())
    sys.exit(0)


def worker_app() -> Litestar:
    """One process of `tt serve --workers N` (uvicorn calls it in each worker)."""
    from tt_api.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    container = bootstrap(settings)
    try:
        _check_ready(container)
        relay = settings.runs_relay_in_process and _elected_relay(Path(os.environ[_RUN_DIR]))
        return _serving_app(container, relay=relay)
    except BaseException:
        asyncio.run(container.aclose())
        raise


def _check_ready(container: Container) -> None:
    require_current_schema(container)
    if not container.queue_tokens.configured:
        from tt_payments.auth.keys import QUEUE_TOKEN_SECRET_MISSING

        raise fail(QUEUE_TOKEN_SECRET_MISSING)


def _serving_app(container: Container, *, relay: bool) -> Litestar:
    from tt_api import create_app
    from tt_payments.outbox import RelayLoop

    app = create_app(container)
    if relay:
        # The relay's task lives on uvicorn's loop; it stops (its pass finished) before
        # the container it uses is closed.
        loop = RelayLoop(container.outbox_relay, container.deliveries)
        app.on_startup.append(loop.start)
        app.on_shutdown.append(loop.stop)
    app.on_shutdown.append(container.aclose)
    return app


_relay_lock: list[IO[bytes]] = []


def _elected_relay(run_dir: Path) -> bool:
    """Whether this process relays the outbox: the first to take the lock does, for its
    life (a worker uvicorn starts in place of a dead one takes it over)."""
    import fcntl

    lock = (run_dir / "relay.lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return False
    _relay_lock.append(lock)  # held open, so locked, until the process exits
    return True
