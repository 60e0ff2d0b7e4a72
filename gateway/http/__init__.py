"""The gateway over HTTP: the ASGI app, its middleware listed where it is built."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from gateway.engine import Gateway
from gateway.http.app import GatewayApp
from gateway.http.middleware import RequestContextMiddleware

__all__ = ["create_gateway_app"]


def create_gateway_app(gateway: Gateway, *, development: bool = False) -> Starlette:
    app = GatewayApp(gateway, development=development, max_body_bytes=gateway.config.max_body_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()

    return Starlette(
        routes=[
            Route("/graphql", app.graphql, methods=["GET", "POST"]),
            Route("/health", app.health, methods=["GET"]),
        ],
        middleware=[Middleware(RequestContextMiddleware)],
        lifespan=lifespan,
    )
