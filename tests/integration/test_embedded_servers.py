"""The embedded servers are shared safely by every process using one data directory."""

from __future__ import annotations

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


def child(data_dir: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", CHILD, str(data_dir), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def postgres_running(data_dir: Path) -> bool:
    return (data_dir / "postgres" / "postmaster.pid").exists()


def redis_answers(data_dir: Path) -> bool:
    client = redis.Redis(unix_socket_path=str(data_dir / "redis" / "redis.sock"))
    try:
        return bool(client.ping())
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
    # Whatever a failing test left behind: join and leave as the last user.
    EmbeddedServers.start(path).stop()


def test_servers_stay_up_until_the_last_user_leaves(data_dir: Path) -> None:
    # Given another process started the servers, and this process joined them
    starter = child(data_dir, "wait")
    assert starter.stdout is not None
    assert starter.stdout.readline().strip() == "ready"
    ours = EmbeddedServers.start(data_dir)
    # When the process that started them leaves
    assert starter.communicate("go\n", timeout=60)[0].split() == ["left"]
    # Then the servers still answer us
    assert redis_answers(data_dir)
    with psycopg.connect(ours.database_url) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    # And when we, the last user, leave, both stop
    ours.stop()
    assert not redis_answers(data_dir)
    assert not postgres_running(data_dir)


def test_a_crashed_user_does_not_keep_the_servers_alive(data_dir: Path) -> None:
    crashed = child(data_dir, "crash")
    crashed.communicate(timeout=60)
    assert crashed.returncode == -9
    assert postgres_running(data_dir)  # orphaned by the crash

    ours = EmbeddedServers.start(data_dir)
    ours.stop()
    assert not postgres_running(data_dir)
    assert not redis_answers(data_dir)


def test_processes_starting_together_share_one_redis(data_dir: Path) -> None:
    waiting = [child(data_dir, "wait") for _ in range(3)]
    try:
        for process in waiting:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready", process.stderr
        assert redis_servers(data_dir) == 1
    finally:
        for process in waiting:
            process.communicate("go\n", timeout=60)
    assert not redis_answers(data_dir)
    assert not postgres_running(data_dir)


def test_leaving_twice_is_harmless(data_dir: Path) -> None:
    ours = EmbeddedServers.start(data_dir)
    ours.stop()
    ours.stop()
    assert not postgres_running(data_dir)
