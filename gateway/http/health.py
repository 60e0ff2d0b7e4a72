"""The gateway's probes (docs/operations.md, "Health"):

- `GET /live`: the process answers — nothing else is asked, so an agency that is down never
  restarts the gateway.
- `GET /ready`: whether this gateway can serve requests: started and not stopping, and — when the
  audit trail is configured — the access log reachable (without it every request is refused, on
  every replica alike). Each subgraph's circuit-breaker state is reported in the body, but one
  agency down does not make the gateway unready: it still answers, with partial data and that
  agency's error. No subgraph is called.
- `GET /health` (kept for compatibility and the federation audit's harness): 200 only when every
  subgraph answers a trivial query.

None of them needs a token or is rate-limited: what a probe asks of another service (the access
log, the subgraphs) is asked once at a time and its answer reused for a moment, so a flood of
probes never becomes a flood on the agencies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar
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
# How long one round of /health's probes of the subgraphs answers for every caller.
HEALTH_SECONDS = 1.0

T = TypeVar("T")


class Reused(Generic[T]):
    """An asynchronous check whose answer every caller shares for `seconds`: one check runs at a
    time, and callers that waited for it take its answer."""

    def __init__(self, check: Callable[[], Awaitable[T]], seconds: float) -> None:
        self.check = check
        self.seconds = seconds
        self._answer: tuple[float, T] | None = None
        self._checking = asyncio.Lock()

    def _fresh(self) -> tuple[float, T] | None:
        answer = self._answer
        if answer is not None and time.monotonic() - answer[0] < self.seconds:
            return answer
        return None

    async def __call__(self) -> T:
        fresh = self._fresh()
        if fresh is None:
            async with self._checking:
                fresh = self._fresh()  # checked while this caller waited
                if fresh is None:
                    fresh = self._answer = (time.monotonic(), await self.check())
        return fresh[1]


class Probes:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.started = False  # set by the app's lifespan once the gateway has started
        self.stopping = False
        self._access_log = Reused(self._check_access_log, ACCESS_LOG_CHECK_SECONDS)
        self._subgraphs = Reused(gateway.subgraphs_ready, HEALTH_SECONDS)

    async def health(self, _request: Request) -> Response:
        ready = dict(await self._subgraphs())
        status = 200 if all(ready.values()) else 503
        return JSONResponse(
            {"status": "ok" if status == 200 else "unavailable", "subgraphs": ready}, status
        )

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
            reachable = await self._access_log()
            body["accessLog"] = "ok" if reachable else "unreachable"
            if not reachable and status == "ready":
                status = "unavailable"
        body = {"status": status, **body}
        return JSONResponse(body, 200 if status == "ready" else 503)

    async def _check_access_log(self) -> bool:
        """Whether the access log's service says it is ready (`/audit/ready` beside the append
        URL: the consent service checks its access-log database there)."""
        assert self.gateway.audit is not None
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
        return reachable
