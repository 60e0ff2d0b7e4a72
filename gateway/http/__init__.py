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
from gateway.http.csrf import CsrfPrevention
from gateway.http.health import Probes
from gateway.http.middleware import RequestContextMiddleware
from gateway.http.ratelimit import AddressRateLimit, PrincipalRateLimit, TokenBuckets
from gateway.http.tracing import TracingMiddleware

if TYPE_CHECKING:
    from auth.tokens import TokenVerifier
    from gateway.http.authentication import Authenticator

__all__ = ["create_gateway_app"]


def create_gateway_app(
    gateway: Gateway,
    *,
    development: bool | None = None,
    authenticator: Authenticator | None = None,
) -> Starlette:
    """The gateway's ASGI app. Requests are authenticated by `authenticator` or, when none is
    given, by a token verifier for the configured issuer; with neither, not at all.
    `development` (the console, the query-plan header) follows the gateway's configuration
    unless given: one switch, so the edge and the engine never disagree about the mode."""
    config = gateway.config
    if development is None:
        development = config.development
    edge = config.edge
    safelist = None
    if edge.persisted_operations:
        from gateway.config import ConfigError
        from gateway.http.persisted import Manifest, ManifestError, Safelist

        try:
            manifest = Manifest.load(edge.persisted_operations)
        except ManifestError as failure:
            raise ConfigError(str(failure)) from None
        safelist = Safelist(manifest, require_id=edge.persisted_require_id)
    app = GatewayApp(
        gateway, development=development, max_body_bytes=config.max_body_bytes, safelist=safelist
    )
    probes = Probes(gateway)
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
        probes.started = True
        try:
            yield
        finally:
            probes.stopping = True
            await gateway.close()
            if verifier is not None:
                await verifier.aclose()

    # Outermost first. The limit per client address comes before everything that costs (the
    # audit record, token verification): a flood is refused for a dictionary look-up. It sits
    # outside the audit middleware so that a flood cannot fill the access log (docs/audit.md).
    # Tracing right inside the context: every later stage runs within the request's spans, and
    # refusals of the limits are counted in the metrics too.
    middleware = [Middleware(RequestContextMiddleware), Middleware(TracingMiddleware)]
    # The tables of buckets (read by tests and, later, metrics).
    limits: dict[str, TokenBuckets] = {}
    if edge.rate_limit:
        limits["address"] = TokenBuckets(
            edge.address_rate, edge.address_burst, edge.rate_limit_buckets
        )
        limits["principal"] = TokenBuckets(
            edge.principal_rate, edge.principal_burst, edge.rate_limit_buckets
        )
        middleware.append(
            Middleware(
                AddressRateLimit,
                buckets=limits["address"],
                trusted_proxies=edge.proxy_networks(),
                console=development,
            )
        )
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
    if edge.csrf_prevention:
        # Inside the audit (a refusal is recorded), before authentication (costs no token check).
        middleware.append(
            Middleware(
                CsrfPrevention, required_headers=edge.csrf_required_headers, console=development
            )
        )
    if authenticator is not None:
        from gateway.http.authentication import AuthenticationMiddleware

        middleware.append(
            Middleware(AuthenticationMiddleware, authenticator=authenticator, console=development)
        )
        if edge.rate_limit:
            # After authentication, inside the audit: recorded as refused, as the principal's.
            middleware.append(
                Middleware(
                    PrincipalRateLimit,
                    buckets=limits["principal"],
                    console=development,
                )
            )

    application = Starlette(
        routes=[
            Route("/graphql", app.graphql, methods=["GET", "POST"]),
            Route("/health", probes.health, methods=["GET"]),
            Route("/live", probes.live, methods=["GET"]),
            Route("/ready", probes.ready, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    application.state.rate_limits = limits
    return application
