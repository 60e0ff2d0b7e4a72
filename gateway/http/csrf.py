"""CSRF prevention as Apollo Router does it (pure ASGI). A browser sends a cross-origin request
without asking first (no CORS preflight) only when it is "simple": a GET, or a POST whose
content type is absent or one a form can send. Such a request must carry a non-empty header
from a configured list — which no page can add without a preflight, and the gateway grants
none — or it is refused with 400 and `CSRF_ERROR` before anything runs. A POST of JSON, what
every client of ours sends, is never simple and passes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.middleware import graphql_request, request_context

log = logging.getLogger("satu_anak.gateway.csrf")

CSRF_ERROR = "CSRF_ERROR"
# The content types a page may POST cross-origin without a preflight (Fetch standard, "CORS-
# safelisted request-header").
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


def _essence(content_type: str) -> str | None:
    """The MIME type's `type/subtype`, lower case; None when it does not parse (a browser
    would then preflight the request)."""
    essence = content_type.split(";", 1)[0].strip().lower()
    kind, slash, subtype = essence.partition("/")
    if not slash or not kind.strip() or not subtype.strip() or " " in essence:
        return None
    return essence


def needs_preflight_header(method: str, content_type: str | None) -> bool:
    """Whether a browser could have sent this request cross-origin without a preflight."""
    if method == "GET":
        return True
    if method != "POST":
        return False
    if content_type is None or not content_type.strip():
        return True
    essence = _essence(content_type)
    return essence is not None and essence in SIMPLE_CONTENT_TYPES


class CsrfPrevention:
    def __init__(
        self,
        app: ASGIApp,
        required_headers: Iterable[str],
        path: str = "/graphql",
        console: bool = False,
    ) -> None:
        self.app = app
        self.required = tuple(h.lower().encode("latin-1") for h in required_headers)
        self.path = path
        self.console = console  # development: the console's page (a plain GET) is served
        self.message = (
            "This request has been blocked as a potential cross-site request forgery: send it "
            "with Content-Type: application/json, or with a non-empty header of: "
            + ", ".join(h.decode() for h in self.required)
            + "."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if graphql_request(scope, self.path, self.console) and not self._allowed(scope):
            context = request_context(scope)
            context.refusal = CSRF_ERROR
            log.info("request %s refused: %s", context.request_id, CSRF_ERROR)
            body = orjson.dumps(
                {"errors": [{"message": self.message, "extensions": {"code": CSRF_ERROR}}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        content_type: str | None = None
        present: set[bytes] = set()
        for name, value in scope.get("headers", ()):
            lowered = name.lower()
            if lowered == b"content-type":
                content_type = value.decode("latin-1")
            elif lowered in self.required and value.strip():
                present.add(lowered)
        if present:
            return True
        return not needs_preflight_header(str(scope.get("method", "")), content_type)
