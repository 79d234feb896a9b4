"""The RS256 key pair that signs and verifies access tokens.

The embedded default generates a pair on first start under the data directory; in
production the operator points ``TT_JWT_PRIVATE_KEY_FILE`` / ``TT_JWT_PUBLIC_KEY_FILE``
at managed keys (a verifying-only deployment needs only the public key).
"""

from __future__ import annotations

import os
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

    Creating writes the private key with mode 0600 atomically, so two processes starting
    together cannot leave a half-written key.
    """
    private_path, public_path = settings.private_key_path, settings.public_key_path
    if create and not private_path.exists() and not public_path.exists():
        _generate(private_path, public_path)
    if not public_path.exists():
        raise SettingsError(
            f"no JWT public key at {public_path}; set TT_JWT_PUBLIC_KEY_FILE "
            "or start `tt serve` once to generate a development key pair"
        )
    private_pem = private_path.read_bytes() if private_path.exists() else None
    return KeyPair(private_pem=private_pem, public_pem=public_path.read_bytes())


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
    for path, pem, mode in ((private_path, private_pem, 0o600), (public_path, public_pem, 0o644)):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        # link() refuses to replace: if another process won the race, keep its key.
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
