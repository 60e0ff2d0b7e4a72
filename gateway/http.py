"""The gateway over HTTP, per the GraphQL-over-HTTP spec: POST/GET /graphql, /health, GraphiQL."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.engine import Gateway, RequestError
from gateway.plan import print_plan

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
        self, gateway: Gateway, *, development: bool = False, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.gateway = gateway
        self.development = development
        self.max_body_bytes = max_body_bytes

    async def graphql(self, request: Request) -> Response:
        media_type = _media_type(request)
        if request.method == "GET":
            if (
                "query" not in request.query_params
                and self.development
                and "text/html" in request.headers.get("accept", "")
            ):
                return HTMLResponse(GRAPHIQL)
            params: dict[str, Any] = dict(request.query_params)
            if "variables" in params:
                try:
                    params["variables"] = orjson.loads(params["variables"])
                except orjson.JSONDecodeError:
                    return _error("variables must be a JSON object", 400, media_type)
            if "extensions" in params:
                params.pop("extensions")
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
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body_bytes:
                    return _error(
                        f"request body larger than {self.max_body_bytes} bytes", 413, media_type
                    )
            try:
                params = orjson.loads(body)
            except orjson.JSONDecodeError:
                return _error("request body is not valid JSON", 400, media_type)
            if not isinstance(params, dict):
                return _error("request body must be a JSON object", 400, media_type)
        return await self._run(request, params, media_type)

    async def _run(self, request: Request, params: Mapping[str, Any], media_type: str) -> Response:
        query = params.get("query")
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
        try:
            prepared = self.gateway.prepare(query, operation_name)
            if request.method == "GET" and prepared.kind.value != "query":
                return Response(
                    orjson.dumps({"errors": [{"message": "only queries may be sent with GET"}]}),
                    status_code=405,
                    media_type=media_type,
                    headers={"allow": "POST"},
                )
            result = await self.gateway.execute(prepared, variables, request.headers)
        except RequestError as error:
            return _OrjsonResponse({"errors": error.errors}, request_error_status, media_type)
        except Exception:
            log.exception("gateway failure")
            return _OrjsonResponse(
                {
                    "errors": [
                        {
                            "message": "Internal gateway error.",
                            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                        }
                    ]
                },
                500,
                media_type,
            )
        if self.development and request.headers.get("x-satu-anak-plan"):
            result.setdefault("extensions", {})["queryPlan"] = print_plan(prepared.plan)
        return _OrjsonResponse(result, 200, media_type)

    async def health(self, _request: Request) -> Response:
        ready = await self.gateway.subgraphs_ready()
        status = 200 if all(ready.values()) else 503
        return JSONResponse(
            {"status": "ok" if status == 200 else "unavailable", "subgraphs": ready}, status
        )


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
        lifespan=lifespan,
    )


# A small, self-contained console (no scripts from elsewhere: the gateway may run offline).
GRAPHIQL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Satu Anak — GraphQL console</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; display: grid; height: 100vh;
         grid-template-columns: 1fr 1fr; grid-template-rows: auto 1fr 8em 3em; }
  header { grid-column: 1 / 3; padding: .5em 1em; background: #14532d; color: white; }
  textarea, pre { font: 13px ui-monospace, monospace; margin: 0; padding: .75em;
                  border: 1px solid #ccc; overflow: auto; }
  #query { grid-column: 1; grid-row: 2; } #variables { grid-column: 1; grid-row: 3; }
  #result { grid-column: 2; grid-row: 2 / 5; background: #f7f7f7; }
  .bar { grid-column: 1; grid-row: 4; display: flex; gap: .5em; align-items: center; padding: 0 .75em; }
</style>
</head>
<body>
<header>Satu Anak — GraphQL console (development mode)</header>
<textarea id="query" spellcheck="false">query Picture($id: ID!) {
  child(id: $id) {
    name kabupatenCode documentStatus
    pkh { compliance { consecutiveNonCompliantPeriods latestCompliant } }
    cases { stage balai { name } }
  }
}</textarea>
<textarea id="variables" spellcheck="false">{"id": "ANK000000001"}</textarea>
<div class="bar">
  <button id="run">Run (Ctrl+Enter)</button>
  <label><input type="checkbox" id="plan"> show query plan</label>
</div>
<pre id="result"></pre>
<script>
async function run() {
  const out = document.getElementById("result");
  let variables = {};
  try { variables = JSON.parse(document.getElementById("variables").value || "{}"); }
  catch (e) { out.textContent = "variables are not valid JSON: " + e.message; return; }
  const headers = {"content-type": "application/json"};
  if (document.getElementById("plan").checked) headers["x-satu-anak-plan"] = "1";
  const response = await fetch(window.location.pathname, {
    method: "POST", headers,
    body: JSON.stringify({query: document.getElementById("query").value, variables}),
  });
  const body = await response.json();
  const plan = body.extensions && body.extensions.queryPlan;
  if (plan) delete body.extensions.queryPlan;
  out.textContent = JSON.stringify(body, null, 2) + (plan ? "\n\n" + plan : "");
}
document.getElementById("run").onclick = run;
document.addEventListener("keydown", (e) => { if (e.ctrlKey && e.key === "Enter") run(); });
</script>
</body>
</html>
"""
