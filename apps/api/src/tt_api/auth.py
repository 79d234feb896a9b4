"""Bearer-token authentication for every route except health, info, metrics, the schema,
and the routes that authenticate otherwise: /internal (HMAC-signed by services) and
/api/v1/webhooks (signed by the payment providers)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from tt_payments.auth.identity import Principal
from tt_payments.auth.tokens import AuthError, TokenService

PUBLIC_PATHS = {"/health", "/health/db", "/info", "/metrics", "/schema"}
SIGNED_PATHS = {"/internal", "/api/v1/webhooks"}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, tokens: TokenService) -> None:
        super().__init__(
            app, exclude=[rf"^{path}(/.*)?$" for path in sorted(PUBLIC_PATHS | SIGNED_PATHS)]
        )
        self._tokens = tokens

    async def authenticate_request(
        self, connection: ASGIConnection[object, object, object, object]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            raise AuthError(
                "an Authorization: Bearer <token> header is required", code="AUTH_REQUIRED"
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        principal = self._tokens.verify(token.strip())
        return AuthenticationResult(user=principal, auth=token)


def principal_of(connection: ASGIConnection[object, object, object, object]) -> Principal:
    user = connection.user
    if not isinstance(user, Principal):  # only reachable on a public route
        raise AuthError("this route needs an access token", code="AUTH_REQUIRED")
    return user
