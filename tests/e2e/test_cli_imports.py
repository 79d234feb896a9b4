"""`tt --help`, every command's `--help` and `tt token issue` answer at once: none of them
imports the web framework, the Stripe SDK, the PDF library or the database layer (so
none builds the container). Each check runs in a fresh interpreter, as a shell would."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

HEAVY = ("litestar", "uvicorn", "stripe", "fpdf", "fontTools", "sqlalchemy", "psycopg", "redis")

_EVERY_HELP = """
import json, sys
import typer.main
from typer.testing import CliRunner
from tt_cli.main import app

root = typer.main.get_command(app)
paths = []

def walk(command, path):
    paths.append(path)
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        walk(sub, [*path, name])

walk(root, [])
runner = CliRunner()
failed = [p for p in paths if runner.invoke(app, [*p, "--help"]).exit_code != 0]
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"paths": len(paths), "failed": failed, "heavy": heavy}))
"""

_TOKEN = """
import json, sys
from tt_cli.main import app
heavy = json.loads(sys.argv[1])
sys.argv = ["tt", *sys.argv[2:]]
try:
    app()
except SystemExit as done:
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    print(json.dumps({"code": done.code, "heavy": loaded}), file=sys.stderr)
"""


def _python(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    ran = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script, json.dumps(HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env=env,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout + ran.stderr


def test_every_help_imports_nothing_heavy() -> None:
    answer = json.loads(_python(_EVERY_HELP).strip().splitlines()[-1])
    assert answer["paths"] > 30  # every group and command, not just the top
    assert answer["failed"] == []
    assert answer["heavy"] == []


def test_issuing_a_token_imports_nothing_heavy(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TT_DATA_DIR": str(tmp_path)}
    out = _python(
        _TOKEN, "token", "issue", "--sub", str(uuid.uuid4()), "--tenant", str(uuid.uuid4()), env=env
    )
    token, report = out.strip().splitlines()[0], json.loads(out.strip().splitlines()[-1])
    assert token.count(".") == 2  # a JWT
    assert report["code"] in (0, None)  # click ends a command that returned with exit(0)
    assert report["heavy"] == []
