"""tt worker: the Dramatiq workers and the outbox relay, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from tt_cli.output import reports_errors
from tt_cli.runtime import require_current_schema
from tt_payments import Settings, bootstrap


@reports_errors
def worker_cli(
    threads: Annotated[int, typer.Option(min=1, max=64, help="Worker threads")] = 4,
) -> None:
    """Run the workers. With no TT_BROKER_URL, queues live in Redis and events go to the log."""
    # Dramatiq and the broker clients load only for this command.
    from tt_api.logs import configure_logging
    from tt_workers import run_worker

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Before bootstrap: a SIGTERM while the embedded servers start must still stop cleanly.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    where = f"broker {'RabbitMQ' if settings.broker_url else 'Redis'}"
    typer.echo(f"tt worker: starting ({where}) ...", err=True)
    container = bootstrap(settings)
    try:
        require_current_schema(container)
    except BaseException:
        asyncio.run(container.aclose())
        raise
    typer.echo("tt worker: running; stop with SIGTERM or Ctrl-C", err=True)
    run_worker(container, until=stop, threads=threads)
    typer.echo("tt worker: stopped", err=True)
