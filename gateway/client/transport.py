"""HTTP to subgraphs: one pooled keep-alive session, timeouts, identical in-flight queries sent once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping

import aiohttp
import orjson
from opentelemetry.trace import SpanKind
from yarl import URL

from gateway import telemetry
from gateway.client.response import SubgraphResponse, failure, parse_response
from observability.tracing import REQUEST_ID, inject

_ACCEPT = "application/graphql-response+json, application/json"
GRANT_HEADER = "x-satu-anak-grant"  # auth/grant.py's, not imported: no JOSE code unless signing

# Signs a grant for the exact body sent (see gateway/client/grants.py).
Sign = Callable[[bytes], str]


class SubgraphTransport:
    """Posts GraphQL requests to subgraphs; never raises: failures become GraphQL errors."""

    def __init__(self, default_timeout: float, max_connections: int = 256) -> None:
        self.default_timeout = default_timeout
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # Identical queries in flight share one request, keyed by (url, body, headers, and what
        # the grant says but its id and times) -> (status, bytes).
        self._in_flight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...], Hashable],
            asyncio.Future[tuple[int, bytes]],
        ] = {}

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=30),
                json_serialize=lambda value: orjson.dumps(value).decode(),
                skip_auto_headers=("User-Agent",),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        *,
        service: str,
        timeout: float | None = None,  # noqa: ASYNC109 - per-subgraph limit, applied to the request
        shareable: bool = True,
        sign: Sign | None = None,
        grant_key: Hashable = None,
    ) -> SubgraphResponse:
        """POST `payload`; with `sign`, under a grant made for it when it is sent. Requests share
        one answer only when their `grant_key` (the grant but its id and times) is equal too."""
        key = (url, payload, tuple(sorted(headers.items())), grant_key)
        try:
            if not shareable:
                status, content = await self._send(url, payload, headers, timeout, sign)
            else:
                waiting = self._in_flight.get(key)
                if waiting is not None:
                    status, content = await asyncio.shield(waiting)
                else:
                    future: asyncio.Future[tuple[int, bytes]] = (
                        asyncio.get_running_loop().create_future()
                    )
                    self._in_flight[key] = future
                    try:
                        status, content = await self._send(url, payload, headers, timeout, sign)
                        future.set_result((status, content))
                    except BaseException as error:
                        future.set_exception(error)
                        future.exception()  # mark retrieved: waiters, if any, get it themselves
                        raise
                    finally:
                        del self._in_flight[key]
        except TimeoutError:
            return failure(service, f"Subgraph {service} timed out.")
        except aiohttp.ClientError:
            return failure(service, f"Subgraph {service} is unavailable.")
        # Every caller parses its own copy: answers are merged into (mutable) response trees.
        return parse_response(service, status, content)

    async def _send(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        limit: float | None,
        sign: Sign | None,
    ) -> tuple[int, bytes]:
        await self.start()
        assert self._session is not None
        sent = {"content-type": "application/json", "accept": _ACCEPT, **headers}
        if sign is not None:
            sent[GRANT_HEADER] = sign(payload)  # over the exact bytes posted below
        with telemetry.span("subgraph_request", SpanKind.CLIENT) as span:
            # The subgraph's parent: this span, in the request's trace (W3C trace context).
            inject(sent)
            request_id = REQUEST_ID.get()
            if request_id is not None:
                sent["x-request-id"] = request_id
            if span.is_recording():
                target = URL(url)
                span.set_attributes(
                    {
                        "http.request.method": "POST",
                        "server.address": target.host or "",
                        "server.port": target.port or 0,
                        "url.path": target.path,
                    }
                )
            async with self._session.post(
                url,
                data=payload,
                headers=sent,
                timeout=aiohttp.ClientTimeout(
                    total=limit if limit is not None else self.default_timeout
                ),
            ) as response:
                if span.is_recording():
                    span.set_attribute("http.response.status_code", response.status)
                    if response.status >= 500:
                        telemetry.failed(span, str(response.status))
                return response.status, await response.read()
