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

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.engine import Gateway

# The consent service's readiness of the access log alone (subgraphs/consent/audit/service.py
# READY_PATH): its /ready also waits for the consent agency's own database, and a hanging one
# would outlast ACCESS_LOG_TIMEOUT.
ACCESS_LOG_READY_PATH = "/audit/ready"
# How long an answer about the access log is reused (probes of many kinds arrive together).
ACCESS_LOG_CHECK_SECONDS = 2.0
ACCESS_LOG_TIMEOUT = 1.0


class Probes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.started = False  # set by the app's lifespan once the gateway has started
        self.stopping = False
        self._access_log: tuple[float, bool] | None = None
        # One check of the access log at a time: /ready needs no token and has no rate limit,
        # and a flood of probes must not become a flood of requests to the consent service.
        self._checking = asyncio.Lock()

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
        """Whether the access log's service says it is ready (`/audit/ready` beside the append
        URL: the consent service checks its access-log database there), cached for a moment."""
        assert self.gateway.audit is not None
        now = time.monotonic()
        if self._access_log is not None and now - self._access_log[0] < ACCESS_LOG_CHECK_SECONDS:
            return self._access_log[1]
        async with self._checking:
            return await self._check_access_log()

    async def _check_access_log(self) -> bool:
        assert self.gateway.audit is not None
        now = time.monotonic()
        if self._access_log is not None and now - self._access_log[0] < ACCESS_LOG_CHECK_SECONDS:
            return self._access_log[1]  # checked while this probe waited
        parts = urlsplit(self.gateway.audit.config.url)
        url = urlunsplit((parts.scheme, parts.netloc, ACCESS_LOG_READY_PATH, "", ""))
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=ACCESS_LOG_TIMEOUT)) as answer,
            ):
                reachable = answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            reachable = False
        self._access_log = (now, reachable)
        return reachable
