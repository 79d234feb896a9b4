"""The RS256 key pair that signs and verifies access tokens.

The embedded default generates a pair on first start under the data directory; in
production the operator points ``TT_JWT_PRIVATE_KEY_FILE`` / ``TT_JWT_PUBLIC_KEY_FILE``
at managed keys (a verifying-only deployment needs only the public key).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tt_payments.settings import Settings, SettingsError


@attrs.frozen
class KeyPair:
    private_pem: bytes | None
    public_pem: bytes


def load_key_pair(settings: Settings, *, create: bool) -> KeyPair:
    """Read the configured keys; with ``create`` and no keys on disk, make a new pair.

    Generation happens under an exclusive lock beside the keys, and each file is written
    whole and renamed into place, so processes starting together agree on one pair.
    """
    private_path, public_path = settings.private_key_path, settings.public_key_path
    if create and not public_path.exists():
        with _generation_lock(public_path.parent):
            if not private_path.exists() and not public_path.exists():
                _generate(private_path, public_path)
    if not public_path.exists():
        raise SettingsError(
            f"no JWT public key at {public_path}; set TT_JWT_PUBLIC_KEY_FILE "
            "or start `tt serve` once to generate a development key pair"
        )
    private_pem = private_path.read_bytes() if private_path.exists() else None
    return KeyPair(private_pem=private_pem, public_pem=public_path.read_bytes())


QUEUE_TOKEN_SECRET_MISSING = (
    "TT_QUEUE_TOKEN_SECRET is not set: every API process must sign waiting-room access "  # noqa: S105
    "tokens with the same secret (at least 32 characters)"
)


def load_queue_token_secret(settings: Settings, *, create: bool) -> bytes | None:
    """The waiting room's HS256 key: TT_QUEUE_TOKEN_SECRET, else the file under
    ``data_dir/keys`` (made, with ``create``, under the same lock as the key pair), else
    None: then no high-demand event can be joined or bought (``tt serve`` refuses to
    start that way; other commands need no key)."""
    if settings.queue_token_secret is not None:
        return settings.queue_token_secret.encode()
    path = settings.queue_token_secret_path
    if create and not path.exists():
        with _generation_lock(path.parent):
            if not path.exists():
                _write(path, secrets.token_hex(32).encode(), 0o600)
    return path.read_bytes().strip() if path.exists() else None


@contextlib.contextmanager
def _generation_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".keys.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _generate(private_path: Path, public_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    # Private first: the public key's presence is what readers take as "the pair exists".
    for path, pem, mode in ((private_path, private_pem, 0o600), (public_path, public_pem, 0o644)):
        _write(path, pem, mode)


def _write(path: Path, content: bytes, mode: int) -> None:
    """Write whole and rename into place: a reader never sees half a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
