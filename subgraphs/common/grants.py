"""The gate in front of every subgraph (pure ASGI): a request passes only with a valid grant the
gateway signed for this subgraph and this exact body, and the grant's principal becomes the
request's `Identity` before any resolver runs. Everything else is answered 401 here."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, Final

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.grant import GRANT_HEADER, Grantee, GrantVerifier, InvalidGrant
from subgraphs.common.identity import Identity

log = logging.getLogger("satu_anak.grants")

# Where the middleware leaves the request's identity for the service's `identify` hook.
IDENTITY_SCOPE_KEY: Final = "satu_anak.identity"
# And which kind of grant the request came under ("principal" or "service").
GRANT_KIND_SCOPE_KEY: Final = "satu_anak.grant_kind"
# Paths served without a grant: liveness and readiness probes (an orchestrator cannot sign);
# they say only whether the subgraph and its databases are up.
OPEN_PATHS: Final = frozenset({"/health", "/live", "/ready"})
# Root fields a service grant (no principal) may select: the SDL and the readiness probe's
# `{ __typename }` — nothing about any child.
SERVICE_FIELDS: Final = frozenset({"_service", "__typename"})
MAX_BODY_BYTES: Final = 16_000_000

_UNAUTHENTICATED = orjson.dumps(
    {
        "errors": [
            {
                "message": "This subgraph answers only requests the gateway signed for it.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
)


def identity_of(grantee: Grantee) -> Identity:
    return Identity(
        subject=grantee.subject,
        role=grantee.role,
        agency=grantee.agency,
        unit=grantee.unit,
        regions=grantee.regions,
        purpose=grantee.purpose,
        name=grantee.name,
        staff_id=grantee.staff_id,
        categories=grantee.categories,
        records={category: frozenset(keys) for category, keys in grantee.records},
        record_types=frozenset(grantee.record_types),
    )


def identity_from_scope(request: Request) -> Identity | None:
    """The `identify` hook of a service behind GrantMiddleware."""
    identity = request.scope.get(IDENTITY_SCOPE_KEY)
    return identity if isinstance(identity, Identity) else None


def selects_only_service_fields(body: bytes, allowed: Collection[str] = SERVICE_FIELDS) -> bool:
    """Whether the GraphQL request `body` is a query selecting nothing but `allowed` root fields
    (no fragments, no mutation): what a service grant may ask."""
    try:
        params: Any = orjson.loads(body)
        document = parse(params["query"], no_location=True)
    except (orjson.JSONDecodeError, GraphQLError, KeyError, TypeError):
        return False
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            return False
        if definition.operation is not OperationType.QUERY:
            return False
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value not in allowed:
                return False
    return True


class GrantMiddleware:
    """Verifies the `x-satu-anak-grant` header against the exact request body (read here, then
    replayed to the app) before the app sees the request."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: GrantVerifier,
        *,
        open_paths: Collection[str] = OPEN_PATHS,
        service_paths: Collection[str] = (),
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.open_paths = open_paths
        # Paths only the gateway itself calls (the access log's append): a service grant may
        # send any body there; the route checks the grant's kind.
        self.service_paths = service_paths
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no subscriptions: nothing may get past unsigned
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        token = None
        for name, value in scope.get("headers", ()):
            if name.lower() == GRANT_HEADER.encode():
                if token is not None:  # two grants: which one would the body be covered by?
                    await _refuse(send, "duplicate_header")
                    return
                token = value.decode("latin-1")
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await _refuse(send, "body_too_large", status=413)
                return
        content = bytes(body)
        try:
            grant = self.verifier.verify(token, content)
        except InvalidGrant as refused:
            await _refuse(send, refused.reason)
            return
        path = scope.get("path")
        if path in self.service_paths:
            if grant.grantee is not None:
                await _refuse(send, "principal_grant_on_service_path", status=403)
                return
        elif grant.grantee is None and not selects_only_service_fields(content):
            await _refuse(send, "service_grant_scope")
            return
        scope[IDENTITY_SCOPE_KEY] = None if grant.grantee is None else identity_of(grant.grantee)
        scope[GRANT_KIND_SCOPE_KEY] = grant.kind
        await self.app(scope, _replay(content, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, reason: str, status: int = 401) -> None:
    log.info("subgraph request refused: %s", reason)
    body = _UNAUTHENTICATED
    if status == 413:
        body = orjson.dumps({"errors": [{"message": "Request body too large."}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
