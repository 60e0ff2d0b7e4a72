"""Pure ASGI middleware of the gateway's HTTP edge (no BaseHTTPMiddleware: it would lose
context variables, and so trace context)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.context import RequestContext

_SCOPE_KEY = "satu_anak.context"


class RequestContextMiddleware:
    """Creates each HTTP request's `RequestContext` from its headers, before anything else
    reads the request; later stages find it in the ASGI scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[_SCOPE_KEY] = _new_context(scope)
        await self.app(scope, receive, send)


def request_context(scope: MutableMapping[str, Any]) -> RequestContext:
    """The request's context (made here if the app runs without the middleware)."""
    context = scope.get(_SCOPE_KEY)
    if not isinstance(context, RequestContext):
        context = scope[_SCOPE_KEY] = _new_context(scope)
    return context


def _new_context(scope: MutableMapping[str, Any]) -> RequestContext:
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", ())
    }
    return RequestContext.from_headers(headers)


def route_path(scope: Scope) -> str:
    """The path the router matches: the request's path without the app's `root_path` (as
    Starlette routes), so that a prefix never lets a request past the middleware."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):
        return path[len(root) :]
    return path


def console_page(scope: Scope) -> bool:
    """A browser asking for the development console page: a GET whose parsed query string has
    no `query` (parsed as the app parses it: `%71uery=` is `query`) and that accepts HTML."""
    if scope.get("method") != "GET":
        return False
    if "query" in QueryParams(scope.get("query_string", b"")):
        return False
    accept = next((v for k, v in scope.get("headers", ()) if k.lower() == b"accept"), b"")
    return b"text/html" in accept


def graphql_request(scope: Scope, path: str, console: bool = False) -> bool:
    """An HTTP request to the GraphQL endpoint `path` — not, when the console is served
    (`console`: development mode), the console's page."""
    if scope["type"] != "http" or route_path(scope) != path:
        return False
    return not (console and console_page(scope))
