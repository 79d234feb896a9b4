"""tt serve: the whole service on one machine (embedded by default)."""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from typing import Annotated

import typer

from tt_cli.output import fail, reports_errors
from tt_cli.runtime import require_current_schema
from tt_payments import Settings, bootstrap


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


@reports_errors
def serve_cli(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: TT_HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: TT_PORT or 3005]")
    ] = None,
) -> None:
    """Run the API. With no TT_DATABASE_URL it starts embedded PostgreSQL and Redis.

    The embedded default also relays the outbox in-process (to RabbitMQ with
    TT_BROKER_URL, else to the log); TT_RELAY_IN_PROCESS overrides that.
    """
    # The web stack loads only for this command, not for every `tt` invocation.
    import uvicorn

    from tt_api import create_app
    from tt_api.logs import configure_logging
    from tt_payments.outbox import RelayLoop

    settings = Settings.from_env()
    host = host or settings.host
    port = port or settings.port
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
        require_current_schema(container)
        if not container.queue_tokens.configured:
            from tt_payments.auth.keys import QUEUE_TOKEN_SECRET_MISSING

            raise fail(QUEUE_TOKEN_SECRET_MISSING)
        app = create_app(container)
    except BaseException:
        asyncio.run(container.aclose())
        raise
    if settings.runs_relay_in_process:
        # The relay's task lives on uvicorn's loop; it stops (its pass finished) before
        # the container it uses is closed.
        relay = RelayLoop(container.outbox_relay, container.deliveries)
        app.on_startup.append(relay.start)
        app.on_shutdown.append(relay.stop)
    app.on_shutdown.append(container.aclose)
    typer.echo(
        f"tt serve: listening on http://{host}:{port}  (API docs: /schema, health: /health)\n"
        "tt serve: get a token with `tt token issue --sub <uuid> --tenant <uuid> --role admin`",
        err=True,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    sys.exit(0)
