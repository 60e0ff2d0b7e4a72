"""The gateway over HTTP: the ASGI app, its middleware listed where it is built."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from gateway.engine import Gateway
from gateway.http.app import GatewayApp
from gateway.http.middleware import RequestContextMiddleware
from gateway.http.tracing import TracingMiddleware

if TYPE_CHECKING:
    from auth.tokens import TokenVerifier
    from gateway.http.authentication import Authenticator

__all__ = ["create_gateway_app"]


def create_gateway_app(
    gateway: Gateway, *, development: bool = False, authenticator: Authenticator | None = None
) -> Starlette:
    """The gateway's ASGI app. Requests are authenticated by `authenticator` or, when none is
    given, by a token verifier for the configured issuer; with neither, not at all."""
    app = GatewayApp(gateway, development=development, max_body_bytes=gateway.config.max_body_bytes)
    config = gateway.config
    verifier: TokenVerifier | None = None
    if authenticator is None and config.auth_issuer:
        # Imported only where tokens are checked: the JOSE stack stays out of a gateway that
        # checks none (conformance runs, benchmarks).
        from auth.tokens import TokenVerifier, VerifierConfig

        verifier = TokenVerifier(
            VerifierConfig(config.auth_issuer, config.auth_audience, config.auth_jwks_url)
        )
        authenticator = verifier
    if gateway.consent is not None and authenticator is None:
        from gateway.config import ConfigError

        # Decisions are about who asks: a policy without authentication would show nothing to
        # anyone (or, misread, everything to everyone). Refuse to start instead.
        raise ConfigError("[consent] needs authentication: set auth_issuer")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()
            if verifier is not None:
                await verifier.aclose()

    # Tracing right inside the context: every later stage runs within the request's spans.
    middleware = [Middleware(RequestContextMiddleware), Middleware(TracingMiddleware)]
    if gateway.audit is not None:
        from gateway.audit.middleware import AuditMiddleware

        # Outside authentication: refused requests are recorded too.
        middleware.append(
            Middleware(
                AuditMiddleware,
                writer=gateway.audit.writer,
                console=development,
                ids=gateway.audit.ids,
            )
        )
    if authenticator is not None:
        from gateway.http.authentication import AuthenticationMiddleware

        middleware.append(
            Middleware(AuthenticationMiddleware, authenticator=authenticator, console=development)
        )

    return Starlette(
        routes=[
            Route("/graphql", app.graphql, methods=["GET", "POST"]),
            Route("/health", app.health, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
