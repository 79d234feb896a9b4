"""Processes generating the development key pair together agree on one pair."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from tt_payments.auth.identity import Role
from tt_payments.auth.keys import load_key_pair
from tt_payments.auth.tokens import TokenService
from tt_payments.settings import Settings

SIGN = textwrap.dedent(
    """
    import sys, uuid
    from pathlib import Path
    from tt_payments.auth.identity import Role
    from tt_payments.auth.keys import load_key_pair
    from tt_payments.settings import Settings
    from tt_payments.auth.tokens import TokenService
    keys = load_key_pair(Settings(data_dir=Path(sys.argv[1])), create=True)
    tokens = TokenService(keys, issuer="i", audience="a")
    print(tokens.issue(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.USER))
    """
)


def test_concurrent_first_starts_produce_one_matching_key_pair(tmp_path: Path) -> None:
    # Given four processes that all find no keys and generate at the same moment
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-c", SIGN, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    try:
        signed = [process.communicate(timeout=60)[0].strip() for process in processes]
    finally:
        # One that failed or got stuck leaves none of them running.
        for process in processes:
            if process.poll() is None:
                process.kill()
        for process in processes:
            process.communicate(timeout=60)
    # Then every token any of them signed verifies with the public key left on disk
    keys = load_key_pair(Settings(data_dir=tmp_path), create=False)
    verifier = TokenService(keys, issuer="i", audience="a")
    for token in signed:
        assert verifier.verify(token).role is Role.USER
    assert verifier.issue(subject=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.ADMIN)
