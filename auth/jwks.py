"""The issuer's public signing keys: fetched over HTTP from its JWKS (found through OIDC discovery
when no URL is configured), cached, and fetched again when a token names an unknown key — at most
once per interval, and never twice at the same time: concurrent callers wait on the same fetch."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Final
from urllib.parse import urlsplit

import aiohttp
from joserfc.errors import SecurityWarning
from joserfc.jwk import JWKRegistry, Key

from auth.errors import IssuerUnavailable

log = logging.getLogger("satu_anak.auth")

DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
_MAX_DOCUMENT_BYTES: Final = 512 * 1024
_MAX_KEYS: Final = 100
_ASYMMETRIC_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP"})
# Private members a JWKS should never carry; if it does, they are dropped, not held in memory.
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

KeysByKid = Mapping[str, tuple[Key, ...]]


class KeyCache:
    """The keys of one issuer, by `kid`. Owns its HTTP session unless one is given."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        *,
        refresh_interval: float,
        max_age: float,
        timeout: float,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._discover = jwks_url is None
        self._refresh_interval = refresh_interval
        self._max_age = max_age
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._keys: KeysByKid | None = None
        self._loaded_at = 0.0
        # Bumped at every load: what was verified with an older key set is verified again.
        self.generation = 0
        self._attempted_at: float | None = None
        self._inflight: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Fetch the keys now (at start-up); raises IssuerUnavailable if that fails."""
        await self._refresh()
        if self._keys is None:
            raise IssuerUnavailable("rate_limited")

    def current(self, generation: int) -> bool:
        """Whether the keys of `generation` are still the ones loaded, and not due a refetch."""
        return generation == self.generation and not self._due()

    def _due(self) -> bool:
        return self._clock() - self._loaded_at > self._max_age

    async def keys_for(self, kid: str) -> tuple[Key, ...]:
        """The keys published under `kid`; an unknown `kid` triggers one (rate-limited) refetch.

        Raises IssuerUnavailable only when no key set was ever loaded and none can be now.
        """
        if self._keys is None:
            await self._refresh()
            if self._keys is None:
                raise IssuerUnavailable("rate_limited")
        elif self._due():
            # Keys the issuer withdrew stop verifying; if it cannot be reached, the old ones serve.
            with suppress(IssuerUnavailable):
                await self._refresh()
        found = self._keys.get(kid, ())
        if not found:
            with suppress(IssuerUnavailable):
                await self._refresh()
            found = self._keys.get(kid, ())
        return found

    async def aclose(self) -> None:
        if self._inflight is not None:
            self._inflight.cancel()
            with suppress(asyncio.CancelledError, IssuerUnavailable):
                await self._inflight
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def _refresh(self) -> None:
        task = self._inflight
        if task is None:
            now = self._clock()
            if self._attempted_at is not None and now - self._attempted_at < self._refresh_interval:
                return  # rate-limited: the caller works with what is cached
            self._attempted_at = now
            task = self._inflight = asyncio.create_task(self._fetch())
            # A fetch whose callers were all cancelled still finishes; retrieve its outcome.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Shielded: one caller giving up does not cancel the fetch the others wait on.
        await asyncio.shield(task)

    async def _fetch(self) -> None:
        try:
            if self._jwks_url is None:
                self._jwks_url = await self._discovered_jwks_url()
            keys = _parse_jwks(await self._get_json(self._jwks_url))
            self._keys, self._loaded_at = keys, self._clock()
            self.generation += 1
            log.info("loaded %d signing keys from %s", len(keys), self._jwks_url)
        except IssuerUnavailable as error:
            log.warning("cannot load the issuer's signing keys: %s", error.reason)
            if self._discover:
                self._jwks_url = None  # discover again next time: the issuer may have moved them
            raise
        finally:
            self._inflight = None

    async def _discovered_jwks_url(self) -> str:
        document = await self._get_json(self._issuer.rstrip("/") + DISCOVERY_PATH)
        if not isinstance(document, dict) or document.get("issuer") != self._issuer:
            raise IssuerUnavailable("discovery_issuer_mismatch")
        url = document.get("jwks_uri")
        # The keys come over https, or over the issuer's own scheme (http in development).
        schemes = {"https", urlsplit(self._issuer).scheme}
        if not isinstance(url, str) or urlsplit(url).scheme not in schemes:
            raise IssuerUnavailable("discovery_jwks_uri")
        return url

    async def _get_json(self, url: str) -> object:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.get(
                url,
                allow_redirects=False,
                timeout=self._timeout,
                headers={"accept": "application/json"},
            ) as response:
                if response.status != 200:
                    raise IssuerUnavailable(f"http_{response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > _MAX_DOCUMENT_BYTES:
                        raise IssuerUnavailable("document_too_large")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise IssuerUnavailable(f"unreachable: {type(error).__name__}") from error
        try:
            return json.loads(body)
        except ValueError:
            raise IssuerUnavailable("not_json") from None


def _parse_jwks(document: object) -> KeysByKid:
    """The usable verification keys of a JWKS document: asymmetric, for signing, with a `kid`."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise IssuerUnavailable("not_a_jwks")
    keys: dict[str, list[Key]] = {}
    for entry in entries[:_MAX_KEYS]:
        key = _public_key(entry)
        if key is not None:
            keys.setdefault(entry["kid"], []).append(key)
    if not keys:
        raise IssuerUnavailable("no_usable_keys")
    return {kid: tuple(found) for kid, found in keys.items()}


def _public_key(entry: object) -> Key | None:
    if not isinstance(entry, dict):
        return None
    kid, operations = entry.get("kid"), entry.get("key_ops")
    if (
        entry.get("kty") not in _ASYMMETRIC_KEY_TYPES  # never a shared secret
        or entry.get("use", "sig") != "sig"
        or (operations is not None and "verify" not in operations)
        or not isinstance(kid, str)
        or not kid
    ):
        return None
    public = {name: value for name, value in entry.items() if name not in _PRIVATE_MEMBERS}
    try:
        with warnings.catch_warnings():
            # joserfc warns about RSA keys under 2048 bits: such a key is refused, not used.
            warnings.simplefilter("error", SecurityWarning)
            return JWKRegistry.import_key(public)
    except Exception as error:  # whatever a malformed key raises, it is skipped
        log.warning("skipping key %r of the issuer's JWKS: %s", kid, error)
        return None
