"""The gateway's probes (docs/operations.md, "Health"):

- `GET /live`: the process answers — nothing else is asked, so an agency that is down never
  restarts the gateway.
- `GET /ready`: whether this gateway can serve requests: started and not stopping, and — when the
  audit trail is configured — the access log reachable (without it every request is refused, on
  every replica alike). Each subgraph's circuit-breaker state is reported in the body, but one
  agency down does not make the gateway unready: it still answers, with partial data and that
  agency's error. No subgraph is called.
- `GET /health` (kept for compatibility and the federation audit's harness): 200 only when every
  subgraph answers a trivial query; see GatewayApp.health."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.engine import Gateway

# The consent service's /ready names each thing it checks (subgraphs/common/service.py): its own
# database (the consent agency's data) and this one, the access log's (AuditService.name).
ACCESS_LOG_CHECK = "audit"
# How long an answer about the access log is reused (probes of many kinds arrive together).
ACCESS_LOG_CHECK_SECONDS = 2.0
ACCESS_LOG_TIMEOUT = 1.0


class Probes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.started = False  # set by the app's lifespan once the gateway has started
        self.stopping = False
        self._access_log: tuple[float, bool] | None = None

    async def live(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(self, _request: Request) -> Response:
        body: dict[str, object] = {"subgraphs": self.gateway.subgraph_states()}
        status = "ready"
        if self.stopping:
            status = "stopping"
        elif not self.started:
            status = "starting"
        if self.gateway.audit is not None:
            reachable = await self._access_log_reachable()
            body["accessLog"] = "ok" if reachable else "unreachable"
            if not reachable and status == "ready":
                status = "unavailable"
        body = {"status": status, **body}
        return JSONResponse(body, 200 if status == "ready" else 503)

    async def _access_log_reachable(self) -> bool:
        """Whether the access log's service says it is ready (`/ready` beside the append URL:
        the consent service checks its access-log database there), cached for a moment."""
        assert self.gateway.audit is not None
        now = time.monotonic()
        if self._access_log is not None and now - self._access_log[0] < ACCESS_LOG_CHECK_SECONDS:
            return self._access_log[1]
        parts = urlsplit(self.gateway.audit.config.url)
        url = urlunsplit((parts.scheme, parts.netloc, "/ready", "", ""))
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=ACCESS_LOG_TIMEOUT)) as answer,
            ):
                reachable = _access_log_ready(answer.status, await answer.read())
        except (aiohttp.ClientError, TimeoutError):
            reachable = False
        self._access_log = (now, reachable)
        return reachable


def _access_log_ready(status: int, body: bytes) -> bool:
    """Whether the consent service's /ready answer says the access log works. Its 503 may be
    for the consent agency's own database alone: one agency down, which must not make every
    gateway unready; then its `checks` still say the access log is "ok"."""
    if status == 200:
        return True
    try:
        checks = orjson.loads(body).get("checks")
    except (orjson.JSONDecodeError, AttributeError):
        return False
    return isinstance(checks, dict) and checks.get(ACCESS_LOG_CHECK) == "ok"
