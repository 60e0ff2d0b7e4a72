"""Rate limits at the edge (pure ASGI): token buckets per client address, before anything else
reads the request, and per principal, after authentication. A request over its limit is
answered 429 with `Retry-After` (whole seconds, RFC 9110) and `RATE_LIMITED`, and nothing else
runs for it. The tables of buckets are bounded: past `capacity` keys the least recently used
bucket is dropped (a dropped bucket comes back full: eviction can only forgive, never block)."""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge import IPNetwork
from gateway.http.middleware import graphql_request, request_context

log = logging.getLogger("satu_anak.gateway.ratelimit")

RATE_LIMITED = "RATE_LIMITED"
# How often, at most, a limiter writes a line about the requests it refused.
LOG_INTERVAL = 10.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TokenBuckets:
    """One token bucket per key: `burst` tokens when new, refilled at `rate` a second."""

    def __init__(
        self,
        rate: float,
        burst: int,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.capacity = capacity
        self.clock = clock
        # key -> (tokens left, when counted), least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Takes a token for `key`: 0.0 when there was one, else the seconds until there is."""
        now = self.clock()
        found = self._buckets.get(key)
        if found is None:
            tokens = self.burst
            if len(self._buckets) >= self.capacity:
                self._buckets.popitem(last=False)
                self.evicted += 1
        else:
            tokens = min(self.burst, found[0] + (now - found[1]) * self.rate)
            self._buckets.move_to_end(key)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        return wait


def retry_after(wait: float) -> int:
    """`Retry-After` in whole seconds (RFC 9110: a non-negative integer), never 0 for a refusal."""
    return max(1, math.ceil(wait))


def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _key(address: IPAddress) -> str:
    # An IPv6 client is given a /64 (one subnet, one home or host): counted per address it
    # could take a fresh bucket for every request.
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_key(scope: Scope, trusted: Sequence[IPNetwork] = ()) -> str:
    """The client's address as the rate limit counts it: the connection's peer (the ASGI
    `client`) — or, only when that peer is a trusted proxy, the nearest address in
    X-Forwarded-For that is not one (read right to left: the left part is the client's to
    write, the right part its proxies')."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    peer = _address(host)
    if peer is None:
        return host or "unknown"
    address = peer

    def is_trusted(a: IPAddress) -> bool:
        return any(a in network for network in trusted)

    if trusted and is_trusted(peer):
        forwarded = [
            item
            for name, value in scope.get("headers", ())
            if name.lower() == b"x-forwarded-for"
            for item in value.decode("latin-1").split(",")
        ]
        for item in reversed(forwarded):
            candidate = _address(item)
            if candidate is None:
                break  # garbage from a proxy: keep the last hop that made sense
            address = candidate
            if not is_trusted(candidate):
                break
    return _key(address)


async def send_rate_limited(send: Send, wait: float, message: str) -> None:
    seconds = retry_after(wait)
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": message,
                    "extensions": {"code": RATE_LIMITED, "retryAfter": seconds},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(seconds).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _RefusalLog:
    """Counts refusals and writes at most one line every LOG_INTERVAL seconds: a flood must not
    become a flood of log lines."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.clock = clock
        self.refused = 0  # since the start
        self._unlogged = 0
        self._logged_at: float | None = None

    def note(self, key: str) -> None:
        self.refused += 1
        self._unlogged += 1
        now = self.clock()
        if self._logged_at is None or now - self._logged_at >= LOG_INTERVAL:
            log.warning(
                "rate limit per %s: %d request(s) refused since the last report (latest: %s)",
                self.what,
                self._unlogged,
                key,
            )
            self._logged_at = now
            self._unlogged = 0


class AddressRateLimit:
    """Per client address, first of all: before the audit record, before token verification,
    so that a flood costs one dictionary look-up a request. Its refusals are counted and
    logged (at most a line every LOG_INTERVAL s), not recorded in the access log (see
    docs/audit.md)."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
        trusted_proxies: Sequence[IPNetwork] = (),
        path: str = "/graphql",
        console: bool = False,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.trusted = tuple(trusted_proxies)
        self.path = path
        self.console = console
        self.refusals = _RefusalLog("client address")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if graphql_request(scope, self.path, self.console):
            key = client_key(scope, self.trusted)
            wait = self.buckets.take(key)
            if wait > 0:
                self.refusals.note(key)
                await send_rate_limited(send, wait, "Too many requests from this address.")
                return
        await self.app(scope, receive, send)


class PrincipalRateLimit:
    """Per principal (the verified token's subject), after authentication and inside the audit
    middleware: its refusals are recorded like any other (`refusal: RATE_LIMITED`). Requests
    without a principal (no authentication configured) pass: the address limit holds them."""

    def __init__(
        self,
        app: ASGIApp,
        buckets: TokenBuckets,
        path: str = "/graphql",
        console: bool = False,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.path = path
        self.console = console
        self.refusals = _RefusalLog("principal")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if graphql_request(scope, self.path, self.console):
            context = request_context(scope)
            if context.principal is not None:
                wait = self.buckets.take(context.principal.subject)
                if wait > 0:
                    context.refusal = RATE_LIMITED
                    self.refusals.note(context.principal.subject)
                    await send_rate_limited(send, wait, "Too many requests: slow down.")
                    return
        await self.app(scope, receive, send)
