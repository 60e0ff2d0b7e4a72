"""Holds every GraphQL response until its audit record is durable (pure ASGI)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.audit.record import SubjectIds, build_record
from gateway.audit.writer import AuditUnavailable, AuditWriter
from gateway.http.middleware import graphql_request, request_context

log = logging.getLogger("satu_anak.gateway.audit")

AUDIT_UNAVAILABLE = "AUDIT_UNAVAILABLE"
_UNAVAILABLE = orjson.dumps(
    {
        "errors": [
            {
                "message": "The access log cannot be written: nothing is served until it can.",
                "extensions": {"code": AUDIT_UNAVAILABLE},
            }
        ]
    }
)


class AuditMiddleware:
    """Sits outside authentication, so refused requests are recorded too. The response (start
    and body) is held back, the record built and written, and only then is the response sent —
    or, when the record cannot be written, 503 with no data instead."""

    def __init__(
        self,
        app: ASGIApp,
        writer: AuditWriter,
        path: str = "/graphql",
        console: bool = False,
        ids: SubjectIds | None = None,
    ) -> None:
        self.app = app
        self.ids = ids or SubjectIds()
        self.console = console  # development: the console's page passes (nothing to protect)
        self.writer = writer
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not graphql_request(scope, self.path, self.console):
            await self.app(scope, receive, send)
            return
        context = request_context(scope)
        context.audited = True  # the app refuses to run a request that was not (see http/app.py)
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        except BaseException:
            # The app failed without answering: recorded as failed, then the error goes on.
            await self._write(context, 500)
            raise
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        status = int(start["status"]) if start is not None else 500
        if not await self._write(context, status):
            await _send_unavailable(send, context.request_id)
            return
        for message in held:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", ()),
                        (b"x-request-id", context.request_id.encode()),
                    ],
                }
            await send(message)

    async def _write(self, context: Any, status: int) -> bool:
        try:
            record = build_record(context, status, self.ids)
        except Exception:
            # Our bug, not the client's: still nothing leaves unrecorded.
            log.exception("the audit record of request %s could not be built", context.request_id)
            return False
        try:
            await self.writer.write(record)
        except AuditUnavailable:
            return False
        return True


async def _send_unavailable(send: Send, request_id: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_UNAVAILABLE)).encode()),
                (b"retry-after", b"5"),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _UNAVAILABLE})
