"""Service-to-service request signing (spec "Internal Service Auth"; issue 4).

A calling service signs each request with its own secret::

    canonical = METHOD \\n PATH \\n SORTED_QUERY \\n TIMESTAMP \\n NONCE \\n hex(sha256(body))
    x-internal-signature = lowercase hex HMAC-SHA256(secret, canonical)

METHOD is upper case; PATH is the request path as sent (no query); SORTED_QUERY is the raw
query string's ``name=value`` pairs, as sent (percent-encoding untouched), sorted
lexicographically and joined with ``&`` (empty when there is no query); TIMESTAMP is Unix
seconds as sent in ``x-internal-timestamp``; NONCE is ``x-internal-nonce`` (16 to 128
characters of ``A-Z a-z 0-9 - _``). The body hash is of the raw bytes, so nothing has to
agree on JSON formatting.

The receiver refuses, with 401 and its own code: a missing header
(``INTERNAL_AUTH_REQUIRED``), an unknown service (``UNKNOWN_SERVICE``), a malformed
timestamp or one more than 300 s from now either way (``INVALID_TIMESTAMP``), a malformed
nonce (``INVALID_NONCE``), a signature that does not match (``INVALID_SIGNATURE``,
compared in constant time), and a nonce the same service used in the last 10 minutes
(``NONCE_REUSED``). The nonce is recorded only after the signature matched, so forged
requests cannot burn a caller's nonces. Replay protection needs Redis; when it is down
the request is refused (503), never let through unchecked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import attrs

from tt_money.errors import TicketTokenError
from tt_payments.auth.tokens import AuthError

SERVICE_HEADER = "x-internal-service"
TIMESTAMP_HEADER = "x-internal-timestamp"
NONCE_HEADER = "x-internal-nonce"
SIGNATURE_HEADER = "x-internal-signature"

CLOCK_SKEW_SECONDS = 300
NONCE_TTL_SECONDS = 600
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


class InternalAuthUnavailableError(TicketTokenError):
    """Replay protection cannot be checked (Redis is down): refuse, 503."""

    default_code = "INTERNAL_AUTH_UNAVAILABLE"


class NonceStore(Protocol):
    async def claim(self, service: str, nonce: str, ttl_seconds: int) -> bool:
        """True if ``nonce`` was not seen for ``service`` in the last ``ttl_seconds``.

        Raises ``InternalAuthUnavailableError`` when the store cannot answer.
        """
        ...


def sorted_query(raw_query: str) -> str:
    """The canonical query: the raw ``name=value`` pairs, sorted, joined with ``&``."""
    return "&".join(sorted(part for part in raw_query.split("&") if part))


def canonical_string(
    *, method: str, path: str, raw_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join(
        (
            method.upper(),
            path,
            sorted_query(raw_query),
            timestamp,
            nonce,
            hashlib.sha256(body).hexdigest(),
        )
    )


def sign(secret: str, canonical: str) -> str:
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    *,
    service: str,
    secret: str,
    method: str,
    path: str,
    raw_query: str = "",
    body: bytes = b"",
    nonce: str,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The four headers a caller sends (used by our own clients and tests)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    canonical = canonical_string(
        method=method, path=path, raw_query=raw_query, timestamp=stamp, nonce=nonce, body=body
    )
    return {
        SERVICE_HEADER: service,
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(secret, canonical),
    }


@attrs.frozen(kw_only=True)
class InternalAuthenticator:
    secrets: Mapping[str, str]
    nonces: NonceStore
    clock: Callable[[], float] = time.time

    async def verify(
        self,
        *,
        method: str,
        path: str,
        raw_query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> str:
        """The calling service's name, or AuthError (401) saying what is wrong."""
        missing = [
            name
            for name in (SERVICE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
            if not headers.get(name)
        ]
        if missing:
            raise AuthError(
                f"internal requests must be signed; missing {', '.join(missing)}",
                code="INTERNAL_AUTH_REQUIRED",
            )
        service = headers[SERVICE_HEADER]
        secret = self.secrets.get(service)
        if secret is None:
            raise AuthError(f"unknown internal service {service!r}", code="UNKNOWN_SERVICE")
        stamp = headers[TIMESTAMP_HEADER]
        if not _TIMESTAMP.match(stamp):
            raise AuthError("x-internal-timestamp must be Unix seconds", code="INVALID_TIMESTAMP")
        if abs(self.clock() - int(stamp)) > CLOCK_SKEW_SECONDS:
            raise AuthError(
                f"x-internal-timestamp is more than {CLOCK_SKEW_SECONDS} s from now",
                code="INVALID_TIMESTAMP",
            )
        nonce = headers[NONCE_HEADER]
        if not _NONCE.match(nonce):
            raise AuthError(
                "x-internal-nonce must be 16 to 128 characters of A-Z a-z 0-9 - _",
                code="INVALID_NONCE",
            )
        canonical = canonical_string(
            method=method, path=path, raw_query=raw_query, timestamp=stamp, nonce=nonce, body=body
        )
        expected = sign(secret, canonical)
        given = headers[SIGNATURE_HEADER]
        if not _SIGNATURE.match(given) or not hmac.compare_digest(expected, given):
            raise AuthError("the request signature does not match", code="INVALID_SIGNATURE")
        if not await self.nonces.claim(service, nonce, NONCE_TTL_SECONDS):
            raise AuthError(
                "this nonce was already used; sign every request with a fresh one",
                code="NONCE_REUSED",
            )
        return service
