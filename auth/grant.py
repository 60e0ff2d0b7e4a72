"""Subgraph grants: the short-lived statement, signed by the gateway for one subgraph request, of
who asks, for what purpose, in which jurisdiction, which data categories this fetch may return,
and which request body it covers. Subgraphs hold only the gateway's public key and trust nothing
else (see docs/architecture.md, "Grants").

A grant is a compact JWS (EdDSA over Ed25519; joserfc's name "Ed25519") whose payload is JSON:

    iss "satu-anak-gateway", aud (the subgraph's name), kind ("principal" or "service"),
    sub, name, role, agency, unit, regions, staff_id, purpose, cats (sorted),
    [recs, rtypes] (optional: per-record restriction, below),
    bh (base64url SHA-256 of the exact request body), iat, exp, jti (128 random bits)

Per-record restriction: `recs` maps some of the categories to the keys (sorted) of the only
records of the types `rtypes` (sorted type names) whose fields of that category the fetch may
return — one child's `cases` can hold cases the asker may see and cases they may not. Absent, a
category is restricted by `cats` alone. Bounded: at most MAX_RECORD_CATEGORIES categories and
MAX_RECORD_IDS keys in all (a larger claim is refused; the request then fails closed).

A *service* grant carries no principal (kind "service", none of sub..cats): the gateway signs it
for its readiness probe and for reading a subgraph's SDL; a subgraph accepts it only for a
document that selects nothing but `_service` and `__typename` (subgraphs/common/grants.py).

Replay: each verifier remembers the ids of the grants it accepted until they expire, so a grant is
accepted at most once *per verifier* — per subgraph replica. Two replicas behind one load balancer
each accept a copy once; the body hash, the audience and the expiry of seconds bound what such a
copy can do (the same query, for the same principal, within its lifetime). The memory is bounded
(`max_remembered` ids); when it is full of unexpired ids, new grants are refused (fail closed)
rather than forgetting an id that could then be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol, cast

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

log = logging.getLogger("satu_anak.grant")

GRANT_HEADER: Final = "x-satu-anak-grant"
GRANT_ISSUER: Final = "satu-anak-gateway"
GRANT_ALGORITHM: Final = "Ed25519"  # EdDSA over Ed25519 (RFC 9864's name, as joserfc spells it)
GRANT_TYPE: Final = "satu-anak-grant+jws"
DEFAULT_TTL: Final = 30  # seconds
DEFAULT_LEEWAY: Final = 5  # seconds of clock skew between the gateway and a subgraph
MAX_TTL: Final = 300  # a grant living longer than this is refused whatever it says
MAX_GRANT_BYTES: Final = 16_384
MAX_RECORD_IDS: Final = 1_000  # record keys in one grant, over all its categories
MAX_RECORD_CATEGORIES: Final = 16
MAX_RECORD_TYPES: Final = 16

Kind = Literal["principal", "service"]


class InvalidGrant(Exception):
    """A request whose grant is missing, malformed, badly signed, expired, for another subgraph,
    replayed, or does not cover the request's body. `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GrantKeyError(ValueError):
    """A key file that cannot be read, or does not hold an Ed25519 key of the expected kind."""


@dataclass(frozen=True, slots=True)
class Grantee:
    """Who a grant is for and what it allows: everything in a grant but its subgraph, body, times
    and id. Hashable: requests for the same grantee and body may share one subgraph answer."""

    subject: str
    role: str
    agency: str
    unit: str | None
    regions: tuple[str, ...]
    purpose: str
    categories: frozenset[str]
    name: str = ""
    staff_id: str | None = None
    # Per record: (category, the only record keys, sorted) pairs, sorted by category; empty: no
    # per-record restriction. `record_types`: the types (sorted) the restriction applies to.
    records: tuple[tuple[str, tuple[str, ...]], ...] = ()
    record_types: tuple[str, ...] = ()


def record_claims(
    records: Mapping[str, Iterable[str]], record_types: Iterable[str]
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """`Grantee.records` and `Grantee.record_types` in their canonical (sorted) form: the same
    restriction always makes the same grantee, so identical fetches can still share an answer."""
    if not records:
        return (), ()
    return (
        tuple(sorted((category, tuple(sorted(set(keys)))) for category, keys in records.items())),
        tuple(sorted(set(record_types))),
    )


@dataclass(frozen=True, slots=True)
class Grant:
    """A verified grant. `grantee` is None for a service grant."""

    audience: str
    grantee: Grantee | None
    body_hash: str
    issued_at: int
    expires_at: int
    jti: str

    @property
    def kind(self) -> Kind:
        return "service" if self.grantee is None else "principal"


def body_hash(body: bytes) -> str:
    """base64url (unpadded) SHA-256 of the request body exactly as sent."""
    return _b64(hashlib.sha256(body).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# --- keys ---------------------------------------------------------------------------------------


def _read_key(path: str | Path) -> OKPKey:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise GrantKeyError(f"cannot read grant key {path}: {error.strerror}") from None
    try:
        if raw.lstrip().startswith(b"{"):
            data = json.loads(raw)
            if isinstance(data, dict) and "keys" in data:  # a JWKS: its one key
                keys = data["keys"]
                if not isinstance(keys, list) or len(keys) != 1:
                    raise GrantKeyError(f"{path}: a key set must hold exactly one key")
                data = keys[0]
            key = OKPKey.import_key(data)
        else:
            key = OKPKey.import_key(raw)
    except GrantKeyError:
        raise
    except (JoseError, ValueError, TypeError) as error:
        raise GrantKeyError(f"{path} does not hold an Ed25519 key (PEM or JWK): {error}") from None
    if key.curve_name != GRANT_ALGORITHM:
        raise GrantKeyError(f"{path} holds a {key.curve_name} key, not Ed25519")
    return key


def key_id(key: OKPKey) -> str:
    """The key's id: its RFC 7638 thumbprint, the same for the private key and its public half
    whatever the files' format, so signer and verifier agree without configuration."""
    return key.thumbprint()


def load_private_key(path: str | Path) -> OKPKey:
    """The gateway's signing key from a PEM (PKCS#8) or JWK file."""
    key = _read_key(path)
    if not key.is_private:
        raise GrantKeyError(f"{path} holds a public key; the gateway signs with a private one")
    return key


def load_public_key(path: str | Path) -> OKPKey:
    """A subgraph's copy of the gateway's public key (PEM or JWK); a private key file is refused:
    a subgraph must not be able to sign."""
    key = _read_key(path)
    if key.is_private:
        raise GrantKeyError(f"{path} holds a private key; give subgraphs only the public key")
    return key


def generate_key_pair(private_path: Path, public_path: Path) -> None:
    """A fresh Ed25519 key pair as PEM files: the private one readable by its owner only."""
    key = OKPKey.generate_key(GRANT_ALGORITHM, private=True)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.as_pem(private=True))
    public_path.write_bytes(key.as_pem(private=False))


# --- signing --------------------------------------------------------------------------------------


class _Signing(Protocol):
    def sign(self, data: bytes) -> bytes: ...


class GrantSigner:
    """Signs grants with the gateway's private key (one per gateway process)."""

    def __init__(
        self,
        key: OKPKey,
        *,
        ttl: int = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not key.is_private or key.curve_name != GRANT_ALGORITHM:
            raise GrantKeyError("the grant signer needs an Ed25519 private key")
        if not 1 <= ttl <= MAX_TTL:
            raise ValueError(f"a grant's lifetime must be between 1 and {MAX_TTL} seconds")
        self.key = key
        self.kid = key_id(key)
        self.ttl = ttl
        self._clock = clock
        header = {"alg": GRANT_ALGORITHM, "kid": self.kid, "typ": GRANT_TYPE}
        jws.JWSRegistry(algorithms=[GRANT_ALGORITHM]).check_header(header)
        # The compact JWS is assembled here (RFC 7515 7.1): the protected header is the same for
        # every grant, so it is encoded once, and the key's signing operation is looked up (and
        # its use checked) once, not per grant.
        self._protected = _b64(json.dumps(header, separators=(",", ":")).encode("ascii")) + "."
        self._sign = cast(_Signing, key.get_op_key("sign")).sign  # Ed25519: checked above

    @classmethod
    def from_file(cls, path: str | Path, *, ttl: int = DEFAULT_TTL) -> GrantSigner:
        return cls(load_private_key(path), ttl=ttl)

    def sign(self, audience: str, grantee: Grantee | None, body: bytes) -> str:
        """A grant for one request to subgraph `audience` with exactly `body`; a service grant
        when `grantee` is None."""
        now = int(self._clock())
        claims: dict[str, Any] = {"iss": GRANT_ISSUER, "aud": audience}
        if grantee is None:
            claims["kind"] = "service"
        else:
            claims.update(
                kind="principal",
                sub=grantee.subject,
                name=grantee.name,
                role=grantee.role,
                agency=grantee.agency,
                unit=grantee.unit,
                regions=list(grantee.regions),
                staff_id=grantee.staff_id,
                purpose=grantee.purpose,
                cats=sorted(grantee.categories),
            )
            if grantee.records:
                claims["recs"] = {c: list(keys) for c, keys in grantee.records}
                claims["rtypes"] = list(grantee.record_types)
        claims.update(
            bh=body_hash(body), iat=now, exp=now + self.ttl, jti=_b64(secrets.token_bytes(16))
        )
        signing_input = self._protected + _b64(orjson.dumps(claims))
        return signing_input + "." + _b64(self._sign(signing_input.encode("ascii")))


# --- verifying ------------------------------------------------------------------------------------


class _SeenIds:
    """Ids of accepted grants, each until its expiry (plus leeway); bounded."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._ids: set[str] = set()
        self._by_expiry: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._ids)

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] < now:
            _, jti = heapq.heappop(self._by_expiry)
            self._ids.discard(jti)

    def add(self, jti: str, forget_after: float, now: float) -> None:
        """Remember `jti`; raises InvalidGrant if it was seen, or if memory is full."""
        self._forget_expired(now)
        if jti in self._ids:
            raise InvalidGrant("replayed")
        if len(self._ids) >= self.max_entries:
            log.warning("grant replay cache full (%d ids): refusing grants", self.max_entries)
            raise InvalidGrant("replay_cache_full")
        self._ids.add(jti)
        heapq.heappush(self._by_expiry, (forget_after, jti))


class GrantVerifier:
    """Verifies the grants of one subgraph (`audience`): signature by one of the gateway's public
    keys (several during a key rotation, chosen by `kid`), issuer, audience, times with a small
    leeway, body hash, and that the grant was not seen before by this verifier (see the module's
    note on replicas). One per subgraph process."""

    def __init__(
        self,
        public_keys: Sequence[OKPKey],
        audience: str,
        *,
        leeway: int = DEFAULT_LEEWAY,
        max_remembered: int = 200_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not public_keys:
            raise GrantKeyError("a grant verifier needs at least one public key")
        if not audience:
            raise ValueError("a grant verifier needs its subgraph's name as audience")
        if not 0 <= leeway <= 60:
            raise ValueError("leeway must be between 0 and 60 seconds")
        self._keys: dict[str, OKPKey] = {}
        for key in public_keys:
            if key.curve_name != GRANT_ALGORITHM:
                raise GrantKeyError("grant keys are Ed25519 keys")
            self._keys[key_id(key)] = key
        self.audience = audience
        self.leeway = leeway
        self._clock = clock
        self._seen = _SeenIds(max_remembered)
        self._registry = jws.JWSRegistry(algorithms=[GRANT_ALGORITHM], strict_check_header=True)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], audience: str) -> GrantVerifier:
        return cls([load_public_key(p) for p in paths], audience)

    def verify(self, token: str | None, body: bytes) -> Grant:
        """The grant `token` makes for a request with exactly `body`; raises InvalidGrant."""
        if not token:
            raise InvalidGrant("missing")
        if len(token) > MAX_GRANT_BYTES:
            raise InvalidGrant("malformed")
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=self._registry)
            header = signed.headers()
            kid = header.get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidGrant("unknown_key")
            if header.get("typ") != GRANT_TYPE:
                raise InvalidGrant("type")
            if not jws.validate_compact(signed, key, registry=self._registry):
                raise InvalidGrant("bad_signature")
            claims = json.loads(signed.payload)
        except InvalidGrant:
            raise
        except JoseError as error:
            raise InvalidGrant(error.error or "malformed") from None
        except Exception:  # hostile input may break a parser anywhere: it is a bad grant
            raise InvalidGrant("malformed") from None
        if not isinstance(claims, dict):
            raise InvalidGrant("malformed")
        grant = self._check(claims, body)
        self._seen.add(grant.jti, grant.expires_at + self.leeway, self._clock())
        return grant

    def _check(self, claims: Mapping[str, Any], body: bytes) -> Grant:
        if claims.get("iss") != GRANT_ISSUER:
            raise InvalidGrant("issuer")
        if claims.get("aud") != self.audience:
            raise InvalidGrant("audience")
        issued, expires = claims.get("iat"), claims.get("exp")
        if not _is_int(issued) or not _is_int(expires):
            raise InvalidGrant("times")
        assert isinstance(issued, int) and isinstance(expires, int)
        now = self._clock()
        if expires < now - self.leeway:
            raise InvalidGrant("expired")
        if issued > now + self.leeway:
            raise InvalidGrant("issued_in_future")
        if not 0 < expires - issued <= MAX_TTL:
            raise InvalidGrant("lifetime")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 16 <= len(jti) <= 64:
            raise InvalidGrant("jti")
        if not secrets.compare_digest(str(claims.get("bh", "")), body_hash(body)):
            raise InvalidGrant("body_hash")
        kind = claims.get("kind")
        if kind == "service":
            if any(name in claims for name in _PRINCIPAL_CLAIMS):
                raise InvalidGrant("service_with_principal")
            grantee = None
        elif kind == "principal":
            grantee = _grantee(claims)
        else:
            raise InvalidGrant("kind")
        return Grant(self.audience, grantee, str(claims["bh"]), issued, expires, jti)


_PRINCIPAL_CLAIMS: Final = (
    *("sub", "name", "role", "agency", "unit", "regions", "staff_id", "purpose", "cats"),
    *("recs", "rtypes"),
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(claims: Mapping[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = claims.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional) or len(value) > 256:
        raise InvalidGrant(f"claim:{name}")
    return value


def _texts(claims: Mapping[str, Any], name: str, limit: int = 100) -> list[str]:
    value = claims.get(name)
    if not _is_texts(value, limit):
        raise InvalidGrant(f"claim:{name}")
    assert isinstance(value, list)
    return value


def _is_texts(value: object, limit: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= limit
        and all(isinstance(item, str) and 0 < len(item) <= 256 for item in value)
    )


def _records(
    claims: Mapping[str, Any],
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """The per-record restriction, if any: bounded, and never without the types it applies to
    (a restriction that could apply to nothing would silently allow everything)."""
    if "recs" not in claims and "rtypes" not in claims:
        return (), ()
    raw = claims.get("recs")
    if (
        not isinstance(raw, dict)
        or not 0 < len(raw) <= MAX_RECORD_CATEGORIES
        or not all(isinstance(c, str) and 0 < len(c) <= 256 for c in raw)
        or not all(_is_texts(keys, MAX_RECORD_IDS) for keys in raw.values())
        or sum(len(keys) for keys in raw.values()) > MAX_RECORD_IDS
    ):
        raise InvalidGrant("claim:recs")
    types = _texts(claims, "rtypes", MAX_RECORD_TYPES)
    if not types:
        raise InvalidGrant("claim:rtypes")
    return record_claims(raw, types)


def _grantee(claims: Mapping[str, Any]) -> Grantee:
    subject = _text(claims, "sub")
    role = _text(claims, "role")
    agency = _text(claims, "agency")
    purpose = _text(claims, "purpose")
    assert subject is not None and role is not None and agency is not None and purpose is not None
    records, record_types = _records(claims)
    return Grantee(
        subject=subject,
        role=role,
        agency=agency,
        unit=_text(claims, "unit", optional=True) or None,
        regions=tuple(_texts(claims, "regions")),
        purpose=purpose,
        categories=frozenset(_texts(claims, "cats")),
        name=_text(claims, "name", optional=True) or "",
        staff_id=_text(claims, "staff_id", optional=True) or None,
        records=records,
        record_types=record_types,
    )
