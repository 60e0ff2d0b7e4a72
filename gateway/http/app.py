"""The GraphQL-over-HTTP endpoint: POST/GET /graphql and /health, as the spec says."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.engine import Gateway
from gateway.errors import INTERNAL_SERVER_ERROR, RequestError, error
from gateway.http.console import CONSOLE_HTML
from gateway.http.middleware import request_context
from gateway.http.persisted import Safelist
from gateway.planner import print_plan

log = logging.getLogger("satu_anak.gateway")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1_000_000


class _OrjsonResponse(Response):
    def __init__(self, content: Any, status_code: int = 200, media_type: str = JSON) -> None:
        super().__init__(orjson.dumps(content), status_code=status_code, media_type=media_type)


def _media_type(request: Request) -> str:
    accept = request.headers.get("accept", "")
    if GRAPHQL_RESPONSE in accept:
        return GRAPHQL_RESPONSE
    return JSON


def _error(message: str, status: int, media_type: str = JSON) -> Response:
    return _OrjsonResponse({"errors": [{"message": message}]}, status, media_type)


class GatewayApp:
    def __init__(
        self,
        gateway: Gateway,
        *,
        development: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        safelist: Safelist | None = None,
    ) -> None:
        self.gateway = gateway
        self.development = development
        self.max_body_bytes = max_body_bytes
        # Persisted operations (gateway/http/persisted.py): none, unless a manifest is set.
        self.safelist = safelist or Safelist(None)

    async def graphql(self, request: Request) -> Response:
        media_type = _media_type(request)
        if request.method == "HEAD":
            return Response(status_code=405, headers={"allow": "GET, POST"})
        if request.method == "GET":
            if (
                "query" not in request.query_params
                and self.development
                and "text/html" in request.headers.get("accept", "")
            ):
                return HTMLResponse(CONSOLE_HTML)
            params: dict[str, Any] = dict(request.query_params)
            if "variables" in params:
                try:
                    params["variables"] = orjson.loads(params["variables"])
                except orjson.JSONDecodeError:
                    return _error("variables must be a JSON object", 400, media_type)
            if "extensions" in params:
                # Read for a persisted operation's id (gateway/http/persisted.py) only.
                try:
                    params["extensions"] = orjson.loads(params["extensions"])
                except orjson.JSONDecodeError:
                    return _error("extensions must be a JSON object", 400, media_type)
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in (JSON, GRAPHQL_RESPONSE, "application/graphql+json"):
                return _error(
                    "POST requests must have Content-Type: application/json", 415, media_type
                )
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                return _error(
                    f"request body larger than {self.max_body_bytes} bytes", 413, media_type
                )
            # A bytearray grows in place: `bytes +=` copies the whole body for every chunk, and a
            # client sending its body a byte at a time made that quadratic (seconds of CPU).
            body = bytearray()
            try:
                # A body trickled in slowly holds a connection and its buffer: it must arrive
                # within `body_timeout` seconds (uvicorn sets no limit of its own).
                async with asyncio.timeout(self.gateway.config.body_timeout):
                    async for chunk in request.stream():
                        body += chunk
                        if len(body) > self.max_body_bytes:
                            return _error(
                                f"request body larger than {self.max_body_bytes} bytes",
                                413,
                                media_type,
                            )
            except TimeoutError:
                return _error(
                    f"request body not received within {self.gateway.config.body_timeout:g} s",
                    408,
                    media_type,
                )
            try:
                params = orjson.loads(body)
            except orjson.JSONDecodeError:
                return _error("request body is not valid JSON", 400, media_type)
            if not isinstance(params, dict):
                return _error("request body must be a JSON object", 400, media_type)
        return await self._run(request, params, media_type)

    async def _run(self, request: Request, params: Mapping[str, Any], media_type: str) -> Response:
        try:
            query = self.safelist.document(params)
        except RequestError as refused:
            request_context(request.scope).refusal = refused.code
            return _OrjsonResponse({"errors": refused.errors}, 400, media_type)
        operation_name = params.get("operationName")
        variables = params.get("variables")
        if not isinstance(query, str) or not query.strip():
            return _error("the request must contain a query string", 400, media_type)
        if operation_name is not None and not isinstance(operation_name, str):
            return _error("operationName must be a string", 400, media_type)
        if variables is not None and not isinstance(variables, dict):
            return _error("variables must be a JSON object", 400, media_type)
        # Per the spec, application/json answers well-formed requests with 200 even when the
        # document is invalid; application/graphql-response+json uses 4xx for request errors.
        request_error_status = 400 if media_type == GRAPHQL_RESPONSE else 200
        context = request_context(request.scope)
        if self.gateway.audit is not None and not context.audited:
            # Nothing runs unrecorded: a request the audit middleware did not see is refused.
            log.error("request %s reached the app without its audit record", context.request_id)
            return _error("The request could not be recorded.", 500, media_type)
        try:
            prepared = self.gateway.prepare(query, operation_name, context)
            if request.method == "GET" and prepared.kind.value != "query":
                return Response(
                    orjson.dumps({"errors": [{"message": "only queries may be sent with GET"}]}),
                    status_code=405,
                    media_type=media_type,
                    headers={"allow": "POST"},
                )
            if self.gateway.audit is not None:
                self.gateway.audit.note_operation(
                    prepared, query, operation_name, variables, context
                )
            result = await self.gateway.execute(prepared, variables, context)
            if self.gateway.audit is not None:
                # What the answer showed, as the client receives it (after consent's cuts).
                self.gateway.audit.note_shown(prepared, result.get("data"), context)
        except RequestError as refused:
            context.refusal = refused.code
            return _OrjsonResponse({"errors": refused.errors}, request_error_status, media_type)
        except Exception:
            log.exception("gateway failure (request %s)", context.request_id)
            return _OrjsonResponse(
                {"errors": [error("Internal gateway error.", INTERNAL_SERVER_ERROR)]},
                500,
                media_type,
            )
        context.answered_data = result.get("data") is not None
        for item in result.get("errors", ()):
            extensions = item.get("extensions")
            code = extensions.get("code") if isinstance(extensions, dict) else None
            context.error_codes.add(code if isinstance(code, str) else "ERROR")
        if self.development and request.headers.get("x-satu-anak-plan"):
            result.setdefault("extensions", {})["queryPlan"] = print_plan(prepared.plan)
        return _OrjsonResponse(result, 200, media_type)
