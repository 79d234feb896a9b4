"""The embedded servers are shared safely by every process using one data directory.

The children a test starts go through ``children``, which kills any still running when
the test ends (a stuck one included), so the data directory's last user is this process
and ``data_dir`` then stops its servers: none outlives the run or its deleted directory.
"""

from __future__ import annotations

import select
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tt_payments.adapters.embedded import EmbeddedServers

# A child that joins the servers, says "ready", and then leaves, crashes or waits for a line.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from tt_payments.adapters.embedded import EmbeddedServers
    servers = EmbeddedServers.start(Path(sys.argv[1]))
    print("ready", flush=True)
    mode = sys.argv[2]
    if mode == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "wait":
        sys.stdin.readline()
    servers.stop()
    print("left", flush=True)
    """
)


# Generous: only a stuck child (or server) takes this long, however loaded the machine.
PATIENCE_SECONDS = 60


class Children:
    """Starts the children of one test and, at its end, kills any still running."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._started: list[subprocess.Popen[str]] = []

    def start(self, mode: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", CHILD, str(self._data_dir), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._started.append(process)
        return process

    def end_all(self) -> None:
        running = [process for process in self._started if process.poll() is None]
        for process in running:
            process.kill()
        for process in self._started:
            # Reaped, so its pid is gone: a zombie would still count as a user.
            process.wait(timeout=PATIENCE_SECONDS)
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()


def first_line(process: subprocess.Popen[str]) -> str:
    """The child's first line of output; fails, rather than hangs, if none comes.

    The child writes whole lines (or exits), so once its stdout is readable, ``readline``
    has a line, or the end of the output, to return at once.
    """
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], PATIENCE_SECONDS)
    if not readable:
        pytest.fail(f"child {process.pid} wrote nothing in {PATIENCE_SECONDS} s")
    return process.stdout.readline().strip()


def postgres_running(data_dir: Path) -> bool:
    return (data_dir / "postgres" / "postmaster.pid").exists()


def redis_answers(data_dir: Path) -> bool:
    """Whether a Redis answers on the directory's socket; a stuck one fails the test."""
    client = redis.Redis(
        unix_socket_path=str(data_dir / "redis" / "redis.sock"),
        socket_connect_timeout=PATIENCE_SECONDS,
        socket_timeout=PATIENCE_SECONDS,
    )
    try:
        return bool(client.ping())
    except redis.TimeoutError:
        raise  # not an answer, and not "no Redis" either
    except redis.RedisError:
        return False
    finally:
        client.close()


def redis_servers(data_dir: Path) -> int:
    listing = subprocess.run(  # noqa: S603
        ["pgrep", "-f", str(data_dir / "redis" / "redis.sock")],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    return len(listing.stdout.split())


@pytest.fixture
def data_dir(workdir: Path) -> Iterator[Path]:
    path = workdir / f"emb-{uuid.uuid4().hex[:6]}"
    yield path
    # Whatever a failing test left behind (after ``children`` ended its children): join
    # and leave as the last user, which stops both servers.
    EmbeddedServers.start(path).stop()


@pytest.fixture
def children(data_dir: Path) -> Iterator[Children]:
    started = Children(data_dir)
    try:
        yield started
    finally:
        started.end_all()


def test_servers_stay_up_until_the_last_user_leaves(data_dir: Path, children: Children) -> None:
    # Given another process started the servers, and this process joined them
    starter = children.start("wait")
    assert first_line(starter) == "ready"
    ours = EmbeddedServers.start(data_dir)
    # When the process that started them leaves
    assert starter.communicate("go\n", timeout=PATIENCE_SECONDS)[0].split() == ["left"]
    # Then the servers still answer us
    assert redis_answers(data_dir)
    with psycopg.connect(ours.database_url, connect_timeout=PATIENCE_SECONDS) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    # And when we, the last user, leave, both stop
    ours.stop()
    assert not redis_answers(data_dir)
    assert not postgres_running(data_dir)


def test_a_crashed_user_does_not_keep_the_servers_alive(data_dir: Path, children: Children) -> None:
    crashed = children.start("crash")
    crashed.communicate(timeout=PATIENCE_SECONDS)
    assert crashed.returncode == -9
    assert postgres_running(data_dir)  # orphaned by the crash

    ours = EmbeddedServers.start(data_dir)
    ours.stop()
    assert not postgres_running(data_dir)
    assert not redis_answers(data_dir)


def test_processes_starting_together_share_one_redis(data_dir: Path, children: Children) -> None:
    waiting = [children.start("wait") for _ in range(3)]
    for process in waiting:
        assert first_line(process) == "ready"
    assert redis_servers(data_dir) == 1
    for process in waiting:
        process.communicate("go\n", timeout=PATIENCE_SECONDS)
    assert not redis_answers(data_dir)
    assert not postgres_running(data_dir)


def test_leaving_twice_is_harmless(data_dir: Path) -> None:
    ours = EmbeddedServers.start(data_dir)
    ours.stop()
    ours.stop()
    assert not postgres_running(data_dir)
