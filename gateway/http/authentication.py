"""Identity and purpose at the edge (pure ASGI): every GraphQL request must carry a valid access
token whose acting role may use the declared purpose, or it is refused here — 401 or 403 with a
typed error — before anything is parsed, planned or fetched."""

from __future__ import annotations

import logging
from typing import Protocol

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.bearer import bearer_token
from auth.errors import AuthError, InvalidToken
from auth.principal import ROLE_HEADER, Principal
from auth.purposes import check_purpose
from gateway.http.middleware import graphql_request, request_context

log = logging.getLogger("satu_anak.gateway.auth")

PURPOSE_HEADER = "x-satu-anak-purpose"
# Headers only the gateway may set: never taken from a client, never forwarded.
INTERNAL_PREFIX = "x-satu-anak-"


class Authenticator(Protocol):
    async def authenticate(self, token: str, requested_role: str | None = None) -> Principal: ...


class AuthenticationMiddleware:
    """Puts the verified principal and the allowed purpose into the request context."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        path: str = "/graphql",
        console: bool = False,
    ) -> None:
        self.app = app
        self.console = console  # development: the console's page passes (nothing to protect)
        self.authenticator = authenticator
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not graphql_request(scope, self.path, self.console):
            await self.app(scope, receive, send)
            return
        context = request_context(scope)
        headers = context.headers
        try:
            token = bearer_token(headers.get("authorization"))
            principal = await self.authenticator.authenticate(token, headers.get(ROLE_HEADER))
            # Who asked is known from here on: a refusal for the purpose is recorded as theirs.
            context.principal = principal
            purpose = headers.get(PURPOSE_HEADER)
            check_purpose(principal, purpose)
        except AuthError as refused:
            log.info("request %s refused: %s %s", context.request_id, refused.code, refused.reason)
            context.refusal = refused.code
            await _refuse(refused, send)
            return
        context.purpose = purpose
        context.headers = {k: v for k, v in headers.items() if not k.startswith(INTERNAL_PREFIX)}
        await self.app(scope, receive, send)


async def _refuse(refused: AuthError, send: Send) -> None:
    body = orjson.dumps(
        {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if isinstance(refused, InvalidToken):
        headers.append((b"www-authenticate", refused.www_authenticate.encode()))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
