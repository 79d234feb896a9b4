"""Access tokens: RS256 JWTs issued for development and verified on every request.

Required claims: ``exp``, ``iat``, ``sub``, ``iss``, ``aud``, ``tenant_id`` and ``role``
(``user``, ``venue_manager``, ``admin``); a venue manager's token must also list its
``venues``. Only RS256 is accepted, so an ``alg: none`` or HS256 token signed with the
public key is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from tt_money.errors import TicketTokenError
from tt_payments.auth.identity import Principal, Role
from tt_payments.auth.keys import KeyPair
from tt_payments.clock import utcnow

ALGORITHM = "RS256"
_LEEWAY_SECONDS = 30


class AuthError(TicketTokenError):
    """The request does not prove who it comes from (401)."""

    default_code = "INVALID_TOKEN"


class TokenService:
    def __init__(self, keys: KeyPair, *, issuer: str, audience: str) -> None:
        # Parsed once: handing PyJWT the PEM text parses and checks the RSA key on every
        # signature (about 45 ms each) and every verification.
        self._signing_key = None if keys.private_pem is None else _private_key(keys.private_pem)
        self._verifying_key = _public_key(keys.public_pem)
        self._issuer = issuer
        self._audience = audience

    def issue(
        self,
        *,
        subject: uuid.UUID,
        tenant_id: uuid.UUID,
        role: Role,
        venues: Iterable[uuid.UUID] = (),
        ttl: dt.timedelta = dt.timedelta(hours=1),
        now: dt.datetime | None = None,
    ) -> str:
        """Sign a token for ``subject``; needs the private key."""
        if self._signing_key is None:
            raise AuthError("this service has no private key to sign tokens with")
        if ttl <= dt.timedelta(0):
            raise AuthError("a token's lifetime must be positive", code="VALIDATION_ERROR")
        issued = now or utcnow()
        claims: dict[str, object] = {
            "sub": str(subject),
            "tenant_id": str(tenant_id),
            "role": role.value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
        }
        venue_list = sorted(str(venue) for venue in venues)
        if venue_list:
            claims["venues"] = venue_list
        return jwt.encode(claims, self._signing_key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal ``token`` proves, or AuthError with the spec's code."""
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "tenant_id", "role"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the access token has expired", code="TOKEN_EXPIRED") from None
        except jwt.InvalidTokenError as error:
            raise AuthError(f"the access token is not valid: {error}") from None
        return _principal_from(claims)


def _private_key(pem: bytes) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise AuthError("the JWT private key is not an RSA key", code="INVALID_SETTINGS")
    return key


def _public_key(pem: bytes) -> RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, RSAPublicKey):
        raise AuthError("the JWT public key is not an RSA key", code="INVALID_SETTINGS")
    return key


def _principal_from(claims: dict[str, object]) -> Principal:
    role_claim = claims["role"]
    try:
        role = Role(role_claim)
    except ValueError:
        raise AuthError(f"unknown role {role_claim!r} in the access token") from None
    venues_claim = claims.get("venues", [])
    if not isinstance(venues_claim, list):
        raise AuthError("the venues claim must be a list of venue ids")
    venues = frozenset(_uuid_claim(venue, "venues") for venue in venues_claim)
    if role is Role.VENUE_MANAGER and not venues:
        raise AuthError("a venue manager's token must name the venues it manages")
    return Principal(
        user_id=_uuid_claim(claims["sub"], "sub"),
        tenant_id=_uuid_claim(claims["tenant_id"], "tenant_id"),
        role=role,
        venues=venues,
    )


def _uuid_claim(value: object, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise AuthError(f"the {name} claim must be a UUID") from None
