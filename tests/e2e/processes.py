"""Running the real `tt` command from the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tt_payments import Settings

TT = str(Path(sys.executable).with_name("tt"))


def cli_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment a `tt` process needs to reach the test servers as ``settings`` does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TT_")}
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env.update(
        TT_DATA_DIR=str(settings.data_dir),
        TT_DATABASE_URL=settings.database_url,
        TT_REDIS_URL=settings.redis_url,
        TT_JWT_PRIVATE_KEY_FILE=str(settings.private_key_path),
        TT_JWT_PUBLIC_KEY_FILE=str(settings.public_key_path),
        TT_QUEUE_TOKEN_SECRET=settings.queue_token_secret or "",
    )
    if settings.broker_url is not None:
        env["TT_BROKER_URL"] = settings.broker_url
    env.update(overrides)
    return env


COMMAND_SECONDS = 90
"""A `tt` command that takes longer is stuck (they take 1-3 s): it fails with what it
printed, where pytest's own limit (120 s a test) would show only a stack."""


def tt(
    env: dict[str, str], *args: str, timeout: float = COMMAND_SECONDS
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - our own console script
            [TT, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as stuck:
        raise AssertionError(
            f"`tt {' '.join(args)}` did not finish within {timeout:.0f} s; "
            f"stderr: {stuck.stderr!r}; stdout: {stuck.stdout!r}"
        ) from None


class Process:
    """A long-running `tt` command whose output goes to files the test can read."""

    def __init__(self, env: dict[str, str], directory: Path, *args: str) -> None:
        self.stdout_path = directory / f"{args[0]}-{uuid.uuid4().hex[:6]}.out"
        self.stderr_path = self.stdout_path.with_suffix(".err")
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen([TT, *args], env=env, stdout=out, stderr=err)  # noqa: S603

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    async def wait_for_output(self, text: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while text not in self.stdout + self.stderr:
            if self.process.poll() is not None:
                raise AssertionError(f"tt exited ({self.process.returncode}): {self.stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not printed in {within} s: {self.stderr}")
            await asyncio.sleep(0.1)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit status (killing it if it does not stop in time)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"tt did not stop within {timeout} s of SIGTERM; its stderr:\n{self.stderr}"
            ) from None
