"""The waiting room's access tokens: HS256 JWTs under their own key (QUEUE_TOKEN_SECRET).

The key is not the RS256 key of user tokens: a leaked queue key must not mint logins,
and a user token must never pass as a queue token (different algorithm, issuer and
audience are all checked). Signature and expiry are checked here; that the token is the
one the room issued and has not been used or revoked is the room's business (its ``jti``
in Redis).
"""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

from tt_high_demand import AccessClaims, InvalidAccessTokenError, WaitingRoomUnavailableError
from tt_payments.auth.keys import QUEUE_TOKEN_SECRET_MISSING
from tt_payments.settings import QUEUE_TOKEN_SECRET_MIN_LENGTH

ALGORITHM = "HS256"
ISSUER = "tickettoken-waiting-room"
AUDIENCE = "tickettoken-payments"
_REQUIRED = ("exp", "iat", "iss", "aud", "sub", "jti", "tenant_id", "event_id", "queue_id", "scope")


class JwtAccessTokenCodec:
    """Signs and checks access tokens; without a secret (not configured) it refuses both,
    so high-demand events fail closed instead of trusting unsigned tokens."""

    def __init__(self, secret: bytes | None) -> None:
        if secret is not None and len(secret) < QUEUE_TOKEN_SECRET_MIN_LENGTH:
            raise ValueError("the queue token secret must be at least 32 bytes")
        self._secret = secret

    @property
    def configured(self) -> bool:
        return self._secret is not None

    def _key(self) -> bytes:
        if self._secret is None:
            raise WaitingRoomUnavailableError(QUEUE_TOKEN_SECRET_MISSING, retry_after_seconds=60)
        return self._secret

    def encode(self, claims: AccessClaims) -> str:
        return jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": str(claims.user_id),
                "tenant_id": str(claims.tenant_id),
                "event_id": str(claims.event_id),
                "queue_id": claims.queue_id,
                "scope": claims.scope,
                "jti": claims.jti,
                "iat": int(claims.issued_at.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
            },
            self._key(),
            algorithm=ALGORITHM,
        )

    def decode(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._key(),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                audience=AUDIENCE,
                options={"require": list(_REQUIRED)},
            )
            return AccessClaims(
                tenant_id=uuid.UUID(str(payload["tenant_id"])),
                event_id=uuid.UUID(str(payload["event_id"])),
                queue_id=str(payload["queue_id"]),
                user_id=uuid.UUID(str(payload["sub"])),
                scope=str(payload["scope"]),
                jti=str(payload["jti"]),
                issued_at=dt.datetime.fromtimestamp(int(payload["iat"]), dt.UTC),
                expires_at=dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC),
            )
        except jwt.ExpiredSignatureError:
            raise InvalidAccessTokenError("the access token has expired") from None
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise InvalidAccessTokenError("the access token is not valid") from None
