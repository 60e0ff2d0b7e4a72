"""Test helpers for auth/: a real JWKS server on 127.0.0.1, a request-counting trap server, a
hand-driven clock, and tokens signed with real keys."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from aiohttp import web
from joserfc import jws, jwt
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey
from joserfc.registry import JWS_HEADER_REGISTRY, HeaderParameter

from auth.dev_issuer import DevIssuer, create_issuer_app

AUDIENCE = "satu-anak"
ALGORITHM_OF = {"RSA": "RS256", "EC": "ES256", "OKP": "Ed25519"}

FACILITATOR_CLAIMS: dict[str, Any] = {
    "sub": "pkh-fac-pekanbaru",
    "name": "Zidan Batubara",
    "roles": ["pkh_facilitator"],
    "agency": "pkh",
    "unit": "PKH-14.71.10",
    "regions": ["14.71.10"],
    "staff_id": "1",
}


def new_keys() -> dict[str, Key]:
    """One fresh signing key of each allowed type, with a kid (its RFC 7638 thumbprint)."""
    return {
        "RS256": RSAKey.generate_key(2048, auto_kid=True),
        "ES256": ECKey.generate_key("P-256", auto_kid=True),
        "Ed25519": OKPKey.generate_key("Ed25519", auto_kid=True),
    }


class Clock:
    """A monotonic clock the test moves by hand (for rate limits and key age)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Server:
    """An aiohttp server on 127.0.0.1 that counts every request it receives."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            self.requests.append(request.path)
            response: web.StreamResponse = await handler(request)
            return response

        self.app.middlewares.append(count)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class JwksServer(Server):
    """The issuer: its discovery document and its key set, both changeable by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[Key] = []
        self.extra_jwks: list[dict[str, Any]] = []  # raw JWKS entries, for odd keys
        self.status = 200
        self.delay = 0.0  # seconds each JWKS answer waits (to overlap concurrent fetches)
        self.discovery: dict[str, Any] | None = None
        self.app.router.add_get("/jwks", self._jwks)
        self.app.router.add_get("/.well-known/openid-configuration", self._discovery)

    @property
    def jwks_url(self) -> str:
        return self.url + "/jwks"

    @property
    def jwks_fetches(self) -> int:
        return self.requests.count("/jwks")

    async def _jwks(self, _request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status)
        document = KeySet(list(self.keys)).as_dict(private=False) if self.keys else {"keys": []}
        document["keys"] = [*document["keys"], *self.extra_jwks]
        return web.json_response(document)

    async def _discovery(self, _request: web.Request) -> web.Response:
        document = self.discovery or {"issuer": self.url, "jwks_uri": self.jwks_url}
        return web.json_response(document)


def claims(issuer: str, **changes: Any) -> dict[str, Any]:
    """Valid access-token claims of the sample PKH facilitator; `None` removes a claim."""
    now = int(time.time())
    values = {
        "iss": issuer,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **FACILITATOR_CLAIMS,
        **changes,
    }
    return {name: value for name, value in values.items() if value is not None}


def sign(key: Key, payload: dict[str, Any], **header: Any) -> str:
    """A JWT signed by joserfc with `key`, its kid and algorithm in the header unless overridden
    (`None` drops a parameter). Any header parameter is signed as given: attackers choose them."""
    algorithm = header.get("alg") or ALGORITHM_OF[key.key_type]
    protected = {"alg": algorithm, "kid": key.kid, **header}
    protected = {name: value for name, value in protected.items() if value is not None}
    anything = {
        name: HeaderParameter(name, lambda _value: None)
        for name in protected
        if name not in JWS_HEADER_REGISTRY
    }
    registry = jws.JWSRegistry(anything, algorithms=[algorithm], strict_check_header=False)
    return jwt.encode(protected, payload, key, registry=registry, default_type=None)


def b64(data: bytes | dict[str, Any] | list[Any] | str) -> str:
    if not isinstance(data, bytes):
        data = json.dumps(data).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> list[str]:
    return token.split(".")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving_dev_issuer(data_dir: Path) -> AsyncIterator[DevIssuer]:
    """The development issuer (its key in `data_dir`) served on a free port of 127.0.0.1."""
    port = free_port()
    issuer = DevIssuer.from_data_dir(data_dir, f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            create_issuer_app(issuer),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn offers no start-up event; poll for up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield issuer
    finally:
        server.should_exit = True
        await task
