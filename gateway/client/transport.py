"""HTTP to subgraphs: a keep-alive connection pool per subgraph, a circuit breaker per subgraph,
bounded retries of queries, answers read in chunks up to a size limit, timeouts passed on to the
subgraph as a deadline, and identical in-flight queries sent once."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace

import aiohttp
import orjson
from opentelemetry.trace import SpanKind
from yarl import URL

from gateway import telemetry
from gateway.client.breaker import CircuitBreaker
from gateway.client.response import SubgraphResponse, failure, parse_response
from gateway.errors import SUBGRAPH_RESPONSE_TOO_LARGE
from observability.tracing import REQUEST_ID, inject

log = logging.getLogger("satu_anak.gateway.transport")

_ACCEPT = "application/graphql-response+json, application/json"
GRANT_HEADER = "x-satu-anak-grant"  # auth/grant.py's, not imported: no JOSE code unless signing
# How many milliseconds the gateway still waits for this answer: the subgraph stops working on
# the request when they have passed (subgraphs/common/cancel.py). Internal: never forwarded from
# a client (gateway/client/http.py INTERNAL_PREFIX).
DEADLINE_HEADER = "x-satu-anak-deadline-ms"
# Statuses after which a query is sent again (the subgraph did not run it, or asks to wait).
RETRY_STATUSES = frozenset({429, 502, 503})
_CHUNK = 64 * 1024

# Signs a grant for the exact body sent (see gateway/client/grants.py).
Sign = Callable[[bytes], str]


@dataclass(frozen=True)
class TransportSettings:
    """Limits of the subgraph transport; per-subgraph values override the defaults by name."""

    timeout: float = 30.0
    max_connections: int = 64
    max_response_bytes: int = 8_000_000
    connections: Mapping[str, int] = field(default_factory=dict)
    response_limits: Mapping[str, int] = field(default_factory=dict)
    breaker_failures: int = 5
    breaker_cooldown: float = 10.0
    retries: int = 1
    retry_backoff: float = 0.05


class _Unavailable(Exception):
    """No usable answer: the message (naming the subgraph, never its address) and code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class _TooLarge(Exception):
    pass


class SubgraphTransport:
    """Posts GraphQL requests to subgraphs; never raises: failures become GraphQL errors."""

    def __init__(
        self,
        default_timeout: float | None = None,
        max_connections: int | None = None,
        *,
        settings: TransportSettings | None = None,
    ) -> None:
        settings = settings or TransportSettings()
        if default_timeout is not None:
            settings = replace(settings, timeout=default_timeout)
        if max_connections is not None:
            settings = replace(settings, max_connections=max_connections)
        self.settings = settings
        self.default_timeout = settings.timeout
        # One session (and so one connection pool) per subgraph, made when first used.
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self.breakers: dict[str, CircuitBreaker] = {}
        self.retried = 0  # requests sent again (for metrics)
        # Identical queries in flight share one request, keyed by (url, body, headers, and what
        # the grant says but its id and times) -> (status, bytes).
        self._in_flight: dict[
            tuple[str, bytes, tuple[tuple[str, str], ...], Hashable],
            asyncio.Future[tuple[int, bytes]],
        ] = {}

    async def start(self) -> None:
        """Nothing to open ahead: each subgraph's pool is made on its first request."""

    async def close(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            await session.close()

    def breaker(self, service: str) -> CircuitBreaker:
        found = self.breakers.get(service)
        if found is None:
            found = self.breakers[service] = CircuitBreaker(
                service,
                self.settings.breaker_failures,
                self.settings.breaker_cooldown,
                on_change=telemetry.breaker_state,
            )
            telemetry.breaker_state(service, "closed")
        return found

    def max_connections(self, service: str) -> int:
        return self.settings.connections.get(service, self.settings.max_connections)

    def max_response_bytes(self, service: str) -> int:
        return self.settings.response_limits.get(service, self.settings.max_response_bytes)

    def _session(self, service: str) -> aiohttp.ClientSession:
        session = self._sessions.get(service)
        if session is None or session.closed:
            session = self._sessions[service] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections(service), keepalive_timeout=30
                ),
                json_serialize=lambda value: orjson.dumps(value).decode(),
                skip_auto_headers=("User-Agent",),
            )
        return session

    async def post(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        *,
        service: str,
        timeout: float | None = None,  # noqa: ASYNC109 - per-subgraph limit, applied to the request
        shareable: bool = True,
        retryable: bool = False,
        sign: Sign | None = None,
        grant_key: Hashable = None,
    ) -> SubgraphResponse:
        """POST `payload` to `service`'s `url`; with `sign`, under a grant made for it when it is
        sent. Requests share one answer only when their `grant_key` (the grant but its id and
        times) is equal too. `retryable`: the request may be sent again (queries only — a
        mutation the subgraph may have run is never sent twice)."""
        key = (url, payload, tuple(sorted(headers.items())), grant_key)
        limit = timeout if timeout is not None else self.default_timeout
        try:
            if not shareable:
                status, content = await self._exchange(
                    url, payload, headers, service, limit, retryable, sign
                )
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
                        status, content = await self._exchange(
                            url, payload, headers, service, limit, retryable, sign
                        )
                        future.set_result((status, content))
                    except BaseException as error:
                        future.set_exception(error)
                        future.exception()  # mark retrieved: waiters, if any, get it themselves
                        raise
                    finally:
                        del self._in_flight[key]
        except _Unavailable as unavailable:
            return failure(service, str(unavailable), unavailable.code)
        # Every caller parses its own copy: answers are merged into (mutable) response trees.
        return parse_response(service, status, content)

    async def _exchange(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        service: str,
        limit: float,
        retryable: bool,
        sign: Sign | None,
    ) -> tuple[int, bytes]:
        """One request, sent again (when `retryable`) after a connection failure or a status
        in RETRY_STATUSES, within `limit` seconds in all, through the subgraph's breaker."""
        breaker = self.breaker(service)
        deadline = time.monotonic() + limit
        attempt = 0
        while True:
            if not breaker.allow():
                raise _Unavailable(f"Subgraph {service} is unavailable (failing fast).")
            remaining = deadline - time.monotonic()
            retry_after: float | None = None
            answered: tuple[int, bytes] | None = None
            try:
                if remaining <= 0:
                    raise TimeoutError
                status, content, retry_header = await self._attempt(
                    url, payload, headers, service, remaining, sign
                )
            except TimeoutError:
                breaker.failure()
                raise _Unavailable(f"Subgraph {service} timed out.") from None
            except _TooLarge:
                breaker.release()  # the subgraph answered: too much, but it is up
                raise _Unavailable(
                    f"Subgraph {service} answered more than "
                    f"{self.max_response_bytes(service)} bytes; the answer was discarded.",
                    SUBGRAPH_RESPONSE_TOO_LARGE,
                ) from None
            except aiohttp.ClientError as error:
                breaker.failure()
                log.info("subgraph %s: %s", service, type(error).__name__)
                if not retryable or attempt >= self.settings.retries:
                    raise _Unavailable(f"Subgraph {service} is unavailable.") from None
            except BaseException:
                breaker.release()  # cancelled: says nothing of the subgraph
                raise
            else:
                if status >= 500:
                    breaker.failure()
                else:
                    breaker.success()
                if not (retryable and status in RETRY_STATUSES and attempt < self.settings.retries):
                    return status, content
                answered = (status, content)
                retry_after = _retry_after(retry_header)
            attempt += 1
            delay = (
                retry_after
                if retry_after is not None
                else random.uniform(0, self.settings.retry_backoff * 2 ** (attempt - 1))
            )
            if time.monotonic() + delay >= deadline:
                # No time left to wait and ask again: the answer (or failure) as it is.
                if answered is None:
                    raise _Unavailable(f"Subgraph {service} is unavailable.")
                return answered
            self.retried += 1
            log.info("subgraph %s: retrying a query in %.3f s", service, delay)
            await asyncio.sleep(delay)

    async def _attempt(
        self,
        url: str,
        payload: bytes,
        headers: Mapping[str, str],
        service: str,
        remaining: float,
        sign: Sign | None,
    ) -> tuple[int, bytes, str | None]:
        session = self._session(service)
        sent = {"content-type": "application/json", "accept": _ACCEPT, **headers}
        sent[DEADLINE_HEADER] = str(max(1, int(remaining * 1000)))
        if sign is not None:
            sent[GRANT_HEADER] = sign(payload)  # over the exact bytes posted below
        most = self.max_response_bytes(service)
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
            async with session.post(
                url, data=payload, headers=sent, timeout=aiohttp.ClientTimeout(total=remaining)
            ) as response:
                if span.is_recording():
                    span.set_attribute("http.response.status_code", response.status)
                    if response.status >= 500:
                        telemetry.failed(span, str(response.status))
                declared = response.content_length
                if declared is not None and declared > most:
                    response.close()  # the connection is dropped, not returned to the pool
                    raise _TooLarge
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    size += len(chunk)
                    if size > most:
                        response.close()
                        raise _TooLarge
                    chunks.append(chunk)
                return response.status, b"".join(chunks), response.headers.get("retry-after")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None: none
    usable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())
