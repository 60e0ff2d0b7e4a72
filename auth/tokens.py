"""OIDC access tokens (JWT): verified with joserfc against the issuer's published keys, then
mapped to the principal. Only asymmetric algorithms on an allowlist; no key is ever taken from the
token itself (`jwk`, `jku`, `x5u`, `x5c` are refused, and nothing is fetched from them)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import aiohttp
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyCurveError,
    JoseError,
    KeyParameterError,
)
from joserfc.jwk import Key
from joserfc.jwt import JWTClaimsRegistry
from joserfc.registry import HeaderParameter

from auth.bearer import bearer_token as bearer_token  # part of this module's API
from auth.errors import InvalidToken
from auth.jwks import KeyCache
from auth.principal import ClaimNames, Principal, principal_from_claims

log = logging.getLogger("satu_anak.auth")

# joserfc's names: "Ed25519" is EdDSA over Ed25519 as RFC 9864 names it ("EdDSA" is deprecated).
DEFAULT_ALGORITHMS: Final = ("RS256", "ES256", "Ed25519")
ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {
        *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
        *("ES256", "ES384", "ES512", "Ed25519", "Ed448", "EdDSA"),
    }
)
# `typ` values of an access token (RFC 9068 `at+jwt`; most providers still send `JWT`).
ACCESS_TOKEN_TYPES: Final = frozenset({"jwt", "at+jwt", "application/at+jwt"})

# Header parameters that would let the token choose its own key, or change what is signed:
# registered as unsupported, so joserfc refuses any token carrying one.
_NEVER_HONOURED: Final = {
    name: HeaderParameter(f"{description} (never honoured)", "none")
    for name, description in (
        ("jwk", "JSON Web Key"),
        ("jku", "JWK Set URL"),
        ("x5u", "X.509 URL"),
        ("x5c", "X.509 Certificate Chain"),
        ("b64", "JWS Signing Input Formula"),
    )
}


@dataclass(frozen=True)
class VerifierConfig:
    """How to verify the access tokens of one issuer for one audience."""

    issuer: str
    audience: str
    # The issuer's JWKS; None: read `jwks_uri` from `<issuer>/.well-known/openid-configuration`.
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    leeway: int = 30  # seconds of clock skew allowed for exp, nbf and iat
    claims: ClaimNames = field(default_factory=ClaimNames)
    refresh_interval: float = 30.0  # at most one JWKS fetch per this many seconds
    max_key_age: float = 3600.0  # cached keys are fetched again after this many seconds
    http_timeout: float = 5.0
    max_token_bytes: int = 16_384
    # Tokens already verified (the same token comes with every request of a session) skip the
    # signature check until the key set changes; bounded by the tokens' total size. 0 turns it off.
    verified_cache_bytes: int = 4_000_000

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("an issuer and an audience are required")
        unsafe = set(self.algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe or not self.algorithms:
            raise ValueError(
                f"only asymmetric signature algorithms may be allowed, not {sorted(unsafe)}"
            )
        if not 0 <= self.leeway <= 300:
            raise ValueError("leeway must be between 0 and 300 seconds")
        if self.refresh_interval <= 0 or self.max_key_age <= 0 or self.http_timeout <= 0:
            raise ValueError("intervals and timeouts must be positive")
        if self.verified_cache_bytes < 0:
            raise ValueError("verified_cache_bytes cannot be negative")


class TokenVerifier:
    """Verifies access tokens of `config.issuer` and maps them to principals.

    One per process: it caches the issuer's keys. `prefetch()` at start-up is optional (the first
    verification fetches them otherwise); `aclose()` at shutdown closes its HTTP session.
    """

    def __init__(
        self,
        config: VerifierConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._keys = KeyCache(
            config.issuer,
            config.jwks_url,
            refresh_interval=config.refresh_interval,
            max_age=config.max_key_age,
            timeout=config.http_timeout,
            session=session,
            clock=clock,
        )
        self._registry = jws.JWSRegistry(
            header_registry=_NEVER_HONOURED,
            algorithms=list(config.algorithms),
            strict_check_header=True,  # a header parameter joserfc does not know is refused
        )
        self._claims = JWTClaimsRegistry(
            leeway=config.leeway,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.audience},
            exp={"essential": True},
            iat={"essential": True},
        )
        self._verified = _VerifiedTokens(config.verified_cache_bytes)

    async def prefetch(self) -> None:
        """Load the issuer's keys now; raises IssuerUnavailable if they cannot be fetched."""
        await self._keys.load()

    async def aclose(self) -> None:
        await self._keys.aclose()

    async def authenticate(self, token: str, requested_role: str | None = None) -> Principal:
        """The principal of a valid `token`, acting as `requested_role` (`x-satu-anak-role`) or
        its first role. Raises InvalidToken (401), RoleNotAllowed (403), IssuerUnavailable (503).
        """
        claims = await self.verify(token)
        return principal_from_claims(claims, self.config.claims, requested_role)

    async def verify(self, token: str) -> Mapping[str, Any]:
        """The claims of `token` (read-only) once its signature, issuer, audience and times
        check out."""
        if not isinstance(token, str) or not token or len(token) > self.config.max_token_bytes:
            raise InvalidToken("malformed")
        cached = self._verified.get(token)
        if cached is not None and self._keys.current(cached[0]):
            self._check_claims(cached[1])  # times move on: a cached token expires like any other
            return cached[1]
        header = self._header(token)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no_kid")  # keys are chosen by kid, never guessed
        keys = await self._keys.keys_for(kid)
        generation = self._keys.generation
        if not keys:
            raise InvalidToken("unknown_key")
        claims = MappingProxyType(self._decode(token, keys))
        self._check_claims(claims)
        self._verified.put(token, generation, claims)
        return claims

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        try:
            self._claims.validate(dict(claims))
        except ExpiredTokenError:
            raise InvalidToken("expired") from None
        except ClaimError as error:
            raise InvalidToken(f"claim:{error.claim}") from None

    def _header(self, token: str) -> dict[str, Any]:
        """The protected header, checked before any key is looked up: its form, the algorithm
        allowlist, the parameters never honoured, `crit`, and the token type."""
        try:
            header = jws.extract_compact(token.encode("ascii"), registry=self._registry).headers()
            if not isinstance(header, dict):
                raise InvalidToken("malformed")
            self._registry.check_header(header)
            self._registry.get_alg(header["alg"])
        except JoseError as error:
            raise InvalidToken(error.error or "malformed") from None
        except InvalidToken:
            raise
        except Exception:  # hostile input may break a parser anywhere: it is an invalid token
            raise InvalidToken("malformed") from None
        kind = header.get("typ")
        if kind is not None and (
            not isinstance(kind, str) or kind.lower() not in ACCESS_TOKEN_TYPES
        ):
            raise InvalidToken("type")
        return header

    def _decode(self, token: str, keys: tuple[Key, ...]) -> dict[str, Any]:
        reason = "bad_signature"
        for key in keys:  # usually one; an issuer may publish one kid for several key types
            try:
                return jwt.decode(token, key, registry=self._registry).claims
            except (KeyParameterError, InvalidKeyCurveError, BadSignatureError) as error:
                reason = error.error  # not this key (wrong type or curve, or not its signature)
            except JoseError as error:
                raise InvalidToken(error.error or "malformed") from None
            except Exception:
                raise InvalidToken("malformed") from None
        raise InvalidToken(reason)


class _VerifiedTokens:
    """Least recently used verified tokens, bounded by their total length in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._size = 0
        self._entries: OrderedDict[str, tuple[int, Mapping[str, Any]]] = OrderedDict()

    def get(self, token: str) -> tuple[int, Mapping[str, Any]] | None:
        entry = self._entries.get(token)
        if entry is not None:
            self._entries.move_to_end(token)
        return entry

    def put(self, token: str, generation: int, claims: Mapping[str, Any]) -> None:
        # A token's claims are at most as long as the token: its length bounds the entry.
        if len(token) > self._max_bytes or token in self._entries:
            return
        self._entries[token] = (generation, claims)
        self._size += len(token)
        while self._size > self._max_bytes:
            evicted, _ = self._entries.popitem(last=False)
            self._size -= len(evicted)
