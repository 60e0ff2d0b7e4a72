"""What a subgraph is (name, schema, tables, migrations) and the ASGI app that serves one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import strawberry
from sqlalchemy import MetaData
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from auth.grant import GrantKeyError, GrantVerifier
from subgraphs.common.cancel import CancelOnDisconnect, Counters
from subgraphs.common.context import Context
from subgraphs.common.database import Database
from subgraphs.common.grants import OPEN_PATHS, GrantMiddleware, identity_from_scope
from subgraphs.common.identity import Identify
from subgraphs.common.settings import GATEWAY_PUBLIC_KEY_VARIABLE, SubgraphSettings
from subgraphs.common.telemetry import TelemetryMiddleware

log = logging.getLogger("satu_anak.service")

# How long /ready waits for each database (a hanging one reads as unavailable).
CHECK_SECONDS = 2.0


class Attachment(Protocol):
    """A part of a service beside its GraphQL schema (the consent service's access log): routes of
    its own behind the same grant gate, objects the resolvers reach through
    `info.context.services`, and its start and stop."""

    name: str
    # Paths the gateway calls under a service grant (any body; the route checks the kind).
    service_paths: tuple[str, ...]

    def routes(self) -> list[Route]: ...

    def service(self) -> object: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    # Optional: `async def ready(self) -> bool`, whether what it needs (its database) answers;
    # the service's /ready and /health include it. Optional: `open_paths`, routes of its own
    # served without a grant (probes).


@dataclass(frozen=True)
class SubgraphSpec:
    name: str
    package: str  # e.g. "subgraphs.pkh": holds tables.py and migrations/versions/
    build_schema: Callable[[], strawberry.federation.Schema]  # called when the service is built
    metadata: MetaData
    # What a served instance attaches beside its schema (built from the environment when served).
    attach: Callable[[], Attachment] | None = None

    def sdl(self) -> str:
        return self.build_schema().as_str().strip() + "\n"


class _SubgraphGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        schema: strawberry.federation.Schema,
        db: Database,
        identify: Identify | None,
        services: dict[str, object],
    ) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False)
        self.db = db
        self.identify = identify
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        identity = self.identify(request) if self.identify is not None else None
        return Context(db=self.db, identity=identity, services=self.services)


def create_app(
    spec: SubgraphSpec,
    settings: SubgraphSettings,
    db: Database | None = None,
    identify: Identify | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Starlette:
    """The subgraph's ASGI app; the database is created here (or passed in by tests), never at import.

    Every request but /health must carry a grant the gateway signed for this subgraph (verified
    against `settings.gateway_public_keys`; see subgraphs/common/grants.py), whose principal
    becomes `info.context.identity`: without those keys the app is not built. Only tests pass
    another `identify` hook (and then put their own gate in front, or none).
    """
    # Outermost: a request the gateway gave up on stops, whatever it is doing (cancel.py).
    cancelled = Counters()
    middleware: list[Middleware] = [Middleware(CancelOnDisconnect, counters=cancelled)]
    if identify is None:
        if not settings.gateway_public_keys:
            raise GrantKeyError(
                f"subgraph {spec.name} serves only requests signed by the gateway: set "
                f"{GATEWAY_PUBLIC_KEY_VARIABLE} to the gateway's public key file"
            )
        verifier = GrantVerifier.from_files(settings.gateway_public_keys, spec.name)
        service_paths = tuple(p for a in attachments for p in a.service_paths)
        open_paths = OPEN_PATHS | {p for a in attachments for p in getattr(a, "open_paths", ())}
        middleware.append(
            Middleware(
                GrantMiddleware,
                verifier=verifier,
                service_paths=service_paths,
                open_paths=open_paths,
            )
        )
        identify = identity_from_scope
    database = db or Database(settings.database_url)

    async def checks() -> dict[str, bool]:
        """What the service needs, each answering or not: its database, and what its
        attachments need (the consent service's access-log database)."""

        async def answers(check: Callable[[], Awaitable[bool]]) -> bool:
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    return bool(await check())
            except TimeoutError:
                return False

        found = {"database": await answers(database.ping)}
        for attachment in attachments:
            ready = getattr(attachment, "ready", None)
            if ready is not None:
                found[attachment.name] = await answers(ready)
        return found

    async def live(_request: Request) -> Response:
        # The process answers: nothing else is asked (a database outage never restarts a pod).
        return JSONResponse({"status": "ok", "subgraph": spec.name})

    async def ready(_request: Request) -> Response:
        found = await checks()
        status = 200 if all(found.values()) else 503
        return JSONResponse(
            {
                "status": "ok" if status == 200 else "unavailable",
                "subgraph": spec.name,
                "checks": {name: "ok" if ok else "unavailable" for name, ok in found.items()},
            },
            status_code=status,
        )

    async def health(_request: Request) -> Response:
        # Kept for compatibility: /ready's verdict in the older, shorter body.
        if all((await checks()).values()):
            return JSONResponse({"status": "ok", "subgraph": spec.name})
        return JSONResponse({"status": "unavailable", "subgraph": spec.name}, status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        log.info("subgraph starting", extra={"subgraph": spec.name, "dialect": database.dialect})
        started: list[Attachment] = []
        try:
            for attachment in attachments:
                await attachment.start()
                started.append(attachment)
            yield
        finally:
            for attachment in reversed(started):
                await attachment.stop()
            await database.dispose()
            log.info("subgraph stopped", extra={"subgraph": spec.name})

    services = {a.name: a.service() for a in attachments}
    graphql_app = _SubgraphGraphQL(spec.build_schema(), database, identify, services)
    routes = [
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/live", live, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        *(route for a in attachments for route in a.routes()),
    ]
    # Outermost: requests the grant check refuses are traced and counted too.
    telemetry = Middleware(
        TelemetryMiddleware, subgraph=spec.name, routes=frozenset(r.path for r in routes)
    )
    app = Starlette(
        routes=routes,
        middleware=[telemetry, *middleware],
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.cancelled = cancelled
    return app
