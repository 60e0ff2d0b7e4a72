"""TokenVerifier against a real JWKS server on 127.0.0.1, with real keys and real signatures: a
valid token becomes a principal; every attack is an InvalidToken, and nothing is fetched from a URL
a token names."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from auth_support import (
    AUDIENCE,
    Clock,
    JwksServer,
    Server,
    b64,
    claims,
    new_keys,
    segments,
    sign,
)
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from auth.errors import (
    BEARER_INVALID_TOKEN,
    InvalidClaims,
    InvalidToken,
    IssuerUnavailable,
    RoleNotAllowed,
)
from auth.principal import ClaimNames
from auth.purposes import Agency, Role
from auth.tokens import TokenVerifier, VerifierConfig, bearer_token

pytestmark = pytest.mark.anyio

KEYS = new_keys()  # generated once: RSA key generation is slow
ATTACKER = new_keys()


@pytest.fixture
async def issuer() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    server.keys = list(KEYS.values())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def trap() -> AsyncIterator[Server]:
    """A server a token points at (`jku`, `x5u`): it must never be asked anything."""
    server = Server()
    server.app.router.add_route("*", "/{tail:.*}", _never)
    await server.start()
    yield server
    await server.stop()


async def _never(_request: Any) -> Any:
    raise AssertionError("the verifier fetched a URL named by a token")


MakeVerifier = Callable[..., Awaitable[TokenVerifier]]


@pytest.fixture
async def make_verifier(issuer: JwksServer) -> AsyncIterator[MakeVerifier]:
    made: list[TokenVerifier] = []

    async def make(clock: Clock | None = None, **settings: Any) -> TokenVerifier:
        config = VerifierConfig(
            **{
                "issuer": issuer.url,
                "audience": AUDIENCE,
                "jwks_url": issuer.jwks_url,
                **settings,
            }
        )
        verifier = TokenVerifier(config, clock=clock or Clock())
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


async def _refused(verifier: TokenVerifier, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        await verifier.authenticate(token)
    assert caught.value.status == 401
    assert caught.value.www_authenticate == BEARER_INVALID_TOKEN
    return caught.value


# --- valid tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "Ed25519"])
async def test_a_valid_token_becomes_its_principal(
    issuer: JwksServer, make_verifier: MakeVerifier, algorithm: str
) -> None:
    verifier = await make_verifier()
    principal = await verifier.authenticate(sign(KEYS[algorithm], claims(issuer.url)))
    assert principal.subject == "pkh-fac-pekanbaru"
    assert principal.name == "Zidan Batubara"
    assert principal.role is Role.PKH_FACILITATOR
    assert principal.roles == (Role.PKH_FACILITATOR,)
    assert principal.agency is Agency.PKH
    assert principal.unit == "PKH-14.71.10"
    assert principal.regions == ("14.71.10",)
    assert principal.staff_id == "1"


async def test_the_audience_may_be_one_of_several(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    token = sign(KEYS["RS256"], claims(issuer.url, aud=["account", AUDIENCE]))
    assert (await verifier.authenticate(token)).subject == "pkh-fac-pekanbaru"


@pytest.mark.parametrize("kind", ["JWT", "at+jwt", "application/at+jwt", None])
async def test_access_token_types_are_accepted(
    issuer: JwksServer, make_verifier: MakeVerifier, kind: str | None
) -> None:
    verifier = await make_verifier()
    await verifier.verify(sign(KEYS["ES256"], claims(issuer.url), typ=kind))


async def test_small_clock_skew_is_tolerated(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    now = int(time.time())
    skewed = claims(issuer.url, exp=now - 10, iat=now + 20, nbf=now + 20)
    await verifier.verify(sign(KEYS["Ed25519"], skewed))


async def test_claim_names_are_configurable(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    names = ClaimNames(roles="satu_anak_roles", regions="wilayah", staff_id="nip")
    verifier = await make_verifier(claims=names)
    payload = claims(issuer.url, roles=None, regions=None, staff_id=None)
    payload.update(satu_anak_roles=["pkh_facilitator"], wilayah="14.71", nip=198001012005011001)
    principal = await verifier.authenticate(sign(KEYS["RS256"], payload))
    assert principal.regions == ("14.71",)
    assert principal.staff_id == "198001012005011001"


# --- the algorithm and the key come from us, never from the token ---------------------------


async def test_alg_none_is_refused(issuer: JwksServer, make_verifier: MakeVerifier) -> None:
    verifier = await make_verifier()
    body = b64(claims(issuer.url))
    for header in ({"alg": "none"}, {"alg": "none", "kid": KEYS["RS256"].kid}, {"alg": "None"}):
        for signature in ("", b64(b"x")):
            error = await _refused(verifier, f"{b64(header)}.{body}.{signature}")
            assert error.reason in {"unsupported_algorithm", "no_kid"}


def _public_key_forms(key: Key) -> list[bytes]:
    raw = key.as_dict(private=False)
    forms = [json.dumps(raw).encode(), json.dumps(raw, separators=(",", ":")).encode()]
    public: Any = key.get_op_key("verify")
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return [*forms, pem]


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
async def test_hmac_signed_with_the_public_key_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier, algorithm: str
) -> None:
    verifier = await make_verifier()
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    for key in KEYS.values():
        for secret in _public_key_forms(key):
            signing_input = f"{b64({'alg': algorithm, 'kid': key.kid})}.{b64(claims(issuer.url))}"
            mac = hmac.new(secret, signing_input.encode(), digest[algorithm])
            error = await _refused(verifier, f"{signing_input}.{b64(mac.digest())}")
            assert error.reason == "unsupported_algorithm"
    assert issuer.jwks_fetches == 0  # refused before any key was looked up


async def test_a_symmetric_key_in_the_jwks_is_never_used(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "shared"})
    issuer.extra_jwks = [secret.as_dict(private=True)]
    verifier = await make_verifier()
    error = await _refused(verifier, sign(secret, claims(issuer.url), alg="HS256"))
    assert error.reason == "unsupported_algorithm"


async def test_a_key_of_another_type_under_the_kid_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    # Signed by the attacker's EC key, but naming the issuer's RSA key.
    token = sign(ATTACKER["ES256"], claims(issuer.url), kid=KEYS["RS256"].kid)
    error = await _refused(verifier, token)
    assert error.reason == "invalid_key_type"


async def test_a_token_signed_by_another_key_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    for algorithm, key in ATTACKER.items():
        token = sign(key, claims(issuer.url), kid=KEYS[algorithm].kid)
        assert (await _refused(verifier, token)).reason == "bad_signature"


async def test_an_embedded_jwk_is_never_honoured(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    attacker = ATTACKER["ES256"]
    embedded = attacker.as_dict(private=False)
    # The attacker's own key, embedded and named; and even a token the issuer really signed.
    forged = sign(attacker, claims(issuer.url), jwk=embedded)
    forged_as_issuer = sign(attacker, claims(issuer.url), jwk=embedded, kid=KEYS["ES256"].kid)
    genuine = sign(KEYS["ES256"], claims(issuer.url), jwk=KEYS["ES256"].as_dict(private=False))
    for token in (forged, forged_as_issuer, genuine):
        assert (await _refused(verifier, token)).reason == "invalid_header_value"


@pytest.mark.parametrize("parameter", ["jku", "x5u"])
async def test_a_key_url_in_the_token_is_never_fetched(
    issuer: JwksServer, trap: Server, make_verifier: MakeVerifier, parameter: str
) -> None:
    verifier = await make_verifier()
    url = f"{trap.url}/jwks.json"
    attacker = ATTACKER["RS256"]
    tokens = [
        sign(attacker, claims(issuer.url), **{parameter: url}),  # attacker's kid: unknown
        sign(attacker, claims(issuer.url), **{parameter: url}, kid=KEYS["RS256"].kid),
        sign(KEYS["RS256"], claims(issuer.url), **{parameter: url}),  # genuine, with the URL
    ]
    for token in tokens:
        assert (await _refused(verifier, token)).reason == "invalid_header_value"
    await asyncio.sleep(0.05)
    assert trap.requests == []
    assert issuer.jwks_fetches == 0


async def test_a_certificate_chain_in_the_header_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    token = sign(KEYS["RS256"], claims(issuer.url), x5c=["MIIB"])
    assert (await _refused(verifier, token)).reason == "invalid_header_value"


async def test_unknown_header_parameters_and_critical_extensions_are_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    key = KEYS["Ed25519"]
    unknown = sign(key, claims(issuer.url), zip="DEF")
    critical = sign(key, claims(issuer.url), crit=["exp"], exp=1)
    for token in (unknown, critical):
        assert (await _refused(verifier, token)).reason == "unsupported_header"


async def test_tokens_of_other_types_are_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    for kind in ("dpop+jwt", "logout+jwt", "secevent+jwt"):
        token = sign(KEYS["RS256"], claims(issuer.url), typ=kind)
        assert (await _refused(verifier, token)).reason == "type"


async def test_a_token_without_kid_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    token = sign(KEYS["RS256"], claims(issuer.url), kid=None)
    assert (await _refused(verifier, token)).reason == "no_kid"


# --- the claims -------------------------------------------------------------------------------


async def test_tampered_payload_is_refused(issuer: JwksServer, make_verifier: MakeVerifier) -> None:
    verifier = await make_verifier()
    header, _, signature = segments(sign(KEYS["Ed25519"], claims(issuer.url)))
    for change in (
        {"roles": ["balai_supervisor"], "agency": "balai"},
        {"regions": ["14"]},
        {"exp": int(time.time()) + 86400 * 365},
    ):
        body = b64(claims(issuer.url, **change))
        assert (await _refused(verifier, f"{header}.{body}.{signature}")).reason == "bad_signature"
    assert (await _refused(verifier, f"{header}.{b64(claims(issuer.url))}.")).reason in {
        "bad_signature",
        "decode_error",
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": -60}, "expired"),
        ({"nbf": 120}, "claim:nbf"),
        ({"iat": 120}, "claim:iat"),
        ({"iss": "https://evil.example"}, "claim:iss"),
        ({"aud": "another-service"}, "claim:aud"),
        ({"aud": ["account", "another-service"]}, "claim:aud"),
        ({"iss": None}, "claim:iss"),
        ({"aud": None}, "claim:aud"),
        ({"exp": None}, "claim:exp"),
        ({"iat": None}, "claim:iat"),
    ],
)
async def test_times_issuer_and_audience_are_checked(
    issuer: JwksServer, make_verifier: MakeVerifier, change: dict[str, Any], reason: str
) -> None:
    verifier = await make_verifier()
    now = int(time.time())
    # Times are given as offsets from now; beyond the leeway of 30 s each is refused.
    payload = claims(
        issuer.url,
        **{
            k: now + v if k in {"exp", "nbf", "iat"} and v is not None else v
            for k, v in change.items()
        },
    )
    assert (await _refused(verifier, sign(KEYS["RS256"], payload))).reason == reason


@pytest.mark.parametrize(
    "change",
    [
        {"exp": "9999999999"},
        {"exp": True},
        {"iat": "now"},
        {"nbf": [1]},
        {"iss": ["https://x"]},
        {"aud": 7},
        {"sub": 12},
        {"sub": ""},
        {"sub": None},
        {"roles": None},
        {"roles": 3},
        {"roles": {"pkh_facilitator": True}},
        {"roles": [["pkh_facilitator"]]},
        {"agency": None},
        {"agency": "kemensos"},
        {"agency": ["pkh"]},
        {"regions": "1471"},
        {"regions": ["14.71", 14]},
        {"regions": ["14.7"]},
        {"regions": ["14.71.10.100"]},
        {"regions": {"14": True}},
        {"unit": 5},
        {"name": ["Zidan"]},
        {"name": "x" * 300},
        {"staff_id": 1.5},
        {"staff_id": ["1"]},
    ],
)
async def test_claims_of_the_wrong_type_or_form_are_refused(
    issuer: JwksServer, make_verifier: MakeVerifier, change: dict[str, Any]
) -> None:
    verifier = await make_verifier()
    error = await _refused(verifier, sign(KEYS["ES256"], claims(issuer.url, **change)))
    assert error.reason.startswith("claim:")


async def test_missing_identity_claims_are_invalid_claims(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    for name in ("sub", "roles", "agency"):
        error = await _refused(verifier, sign(KEYS["ES256"], claims(issuer.url, **{name: None})))
        assert isinstance(error, InvalidClaims)
        assert error.reason == f"claim:{name}"


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", b"[" * 5000, b'"text"', b"null", b'{"exp": 1e400}', b'{"exp": NaN}'],
)
async def test_signed_payloads_that_are_not_claims_are_refused(
    issuer: JwksServer, make_verifier: MakeVerifier, payload: bytes
) -> None:
    from joserfc import jws

    verifier = await make_verifier()
    key = KEYS["Ed25519"]
    header = {"alg": "Ed25519", "kid": key.kid}
    token = jws.serialize_compact(header, payload, key, algorithms=["Ed25519"])
    await _refused(verifier, token)


async def test_a_token_without_a_satu_anak_role_is_forbidden_not_invalid(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    token = sign(KEYS["RS256"], claims(issuer.url, roles=["offline_access", "uma_authorization"]))
    with pytest.raises(RoleNotAllowed) as caught:
        await verifier.authenticate(token)
    assert caught.value.status == 403


# --- malformed input --------------------------------------------------------------------------


async def test_malformed_strings_are_invalid_tokens(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    good = sign(KEYS["RS256"], claims(issuer.url))
    header, body, signature = segments(good)
    malformed = [
        "",
        " ",
        "abc",
        "a.b",
        "a.b.c",
        "...",
        "a.b.c.d.e",
        f"{good}.",
        f"{header}.{body}",
        f"{header}..{signature}",
        f".{body}.{signature}",
        f"{header}.{body}.{signature}=",
        f"{header}=.{body}.{signature}",
        f"{b64(b'not json')}.{body}.{signature}",
        f"{b64([1, 2])}.{body}.{signature}",
        f"{b64('alg')}.{body}.{signature}",
        f"{b64({'kid': KEYS['RS256'].kid})}.{body}.{signature}",
        f"{b64({'alg': 7, 'kid': KEYS['RS256'].kid})}.{body}.{signature}",
        f"{b64({'alg': 'RS256', 'kid': 7})}.{body}.{signature}",
        f"{header}.{b64(b'not json')}.{signature}",
        f"{header}.{b64([1, 2])}.{signature}",
        f"{header}.{b64(b'[' * 5000)}.{signature}",
        f"{header}.{body}.{signature}".replace("e", "é", 1),
        "Bearer " + good,
        "x" * 20_000,
        f"{header}.{'A' * 130_000}.{signature}",
        "\x00\x01\x02",
    ]
    for token in malformed:
        await _refused(verifier, token)
    # Not even a string.
    for value in (None, b"abc", 7):
        with pytest.raises(InvalidToken):
            await verifier.verify(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Basic dXNlcjpwYXNz", "not_bearer"),
        ("Bearer", "not_bearer"),
        ("Bearer ", "not_bearer"),
        ("Bearer a b", "not_bearer"),
    ],
)
def test_bearer_token_reads_only_a_bearer_authorization(header: str | None, reason: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        bearer_token(header)
    assert caught.value.reason == reason


def test_bearer_token_returns_the_token() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer  abc.def.ghi ") == "abc.def.ghi"


# --- the key set: cached, refetched once for an unknown kid, rate-limited ----------------------


async def test_keys_are_fetched_once_and_cached(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    for key in KEYS.values():
        for _ in range(3):
            await verifier.verify(sign(key, claims(issuer.url)))
    assert issuer.jwks_fetches == 1


async def test_an_unknown_kid_refetches_once_then_is_rate_limited(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = Clock()
    verifier = await make_verifier(clock, refresh_interval=30)
    await verifier.prefetch()
    assert issuer.jwks_fetches == 1
    clock.advance(31)
    stranger = ATTACKER["RS256"]
    assert (await _refused(verifier, sign(stranger, claims(issuer.url)))).reason == "unknown_key"
    assert issuer.jwks_fetches == 2
    # Within the interval, more unknown kids fetch nothing.
    for key in ATTACKER.values():
        await _refused(verifier, sign(key, claims(issuer.url)))
    assert issuer.jwks_fetches == 2
    clock.advance(31)
    await _refused(verifier, sign(stranger, claims(issuer.url)))
    assert issuer.jwks_fetches == 3


async def test_a_rotated_key_is_picked_up_by_one_refetch(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = Clock()
    verifier = await make_verifier(clock)
    await verifier.prefetch()
    rotated = OKPKey.generate_key("Ed25519", auto_kid=True)
    issuer.keys.append(rotated)
    clock.advance(31)
    principal = await verifier.authenticate(sign(rotated, claims(issuer.url)))
    assert principal.subject == "pkh-fac-pekanbaru"
    assert issuer.jwks_fetches == 2


async def test_twenty_concurrent_unknown_kids_cause_one_fetch(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = Clock()
    verifier = await make_verifier(clock)
    await verifier.prefetch()
    rotated = ECKey.generate_key("P-256", auto_kid=True)
    issuer.keys.append(rotated)
    issuer.delay = 0.2  # every verification arrives while the fetch is in flight
    clock.advance(31)
    tokens = [sign(rotated, claims(issuer.url, sub=f"user-{i}")) for i in range(20)]
    principals = await asyncio.gather(*(verifier.authenticate(t) for t in tokens))
    assert [p.subject for p in principals] == [f"user-{i}" for i in range(20)]
    assert issuer.jwks_fetches == 2  # the start-up load and one refetch


async def test_twenty_concurrent_first_verifications_cause_one_fetch(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier()
    issuer.delay = 0.2
    stranger = ATTACKER["ES256"]
    tokens = [sign(KEYS["RS256"], claims(issuer.url)) for _ in range(10)]
    tokens += [sign(stranger, claims(issuer.url)) for _ in range(10)]
    outcomes = await asyncio.gather(
        *(verifier.authenticate(t) for t in tokens), return_exceptions=True
    )
    assert all(not isinstance(o, BaseException) for o in outcomes[:10])
    assert all(isinstance(o, InvalidToken) for o in outcomes[10:])
    assert issuer.jwks_fetches == 1


async def test_a_withdrawn_key_stops_verifying_once_the_keys_are_old(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = Clock()
    verifier = await make_verifier(clock, max_key_age=600)
    token = sign(KEYS["RS256"], claims(issuer.url))
    await verifier.verify(token)
    await verifier.verify(token)  # from the verified-token cache
    issuer.keys = [KEYS["ES256"]]
    clock.advance(601)
    assert (await _refused(verifier, token)).reason == "unknown_key"
    assert issuer.jwks_fetches == 2


async def test_an_unreachable_issuer_is_unavailable_not_invalid(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    clock = Clock()
    verifier = await make_verifier(clock)
    issuer.status = 500
    token = sign(KEYS["RS256"], claims(issuer.url))
    with pytest.raises(IssuerUnavailable) as caught:
        await verifier.authenticate(token)
    assert caught.value.status == 503
    with pytest.raises(IssuerUnavailable):  # rate-limited: no second fetch yet
        await verifier.authenticate(token)
    assert issuer.jwks_fetches == 1
    issuer.status = 200
    clock.advance(31)
    await verifier.authenticate(token)
    # Once keys are cached, a failing refetch leaves them in use.
    issuer.status = 500
    clock.advance(31)
    await _refused(verifier, sign(ATTACKER["RS256"], claims(issuer.url)))
    await verifier.authenticate(sign(KEYS["ES256"], claims(issuer.url)))


async def test_weak_and_unusable_keys_in_the_jwks_are_skipped(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    import warnings

    from cryptography.hazmat.primitives.asymmetric import rsa
    from joserfc.errors import SecurityWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        weak = RSAKey.import_key(rsa.generate_private_key(65537, 1024), {"kid": "weak"})
    encryption = OKPKey.generate_key("Ed25519", parameters={"kid": "enc"})
    issuer.keys = [KEYS["ES256"]]
    issuer.extra_jwks = [
        weak.as_dict(private=False),
        {**encryption.as_dict(private=False), "use": "enc"},
        {"kty": "RSA", "kid": "broken", "n": "AQAB"},
        {"kty": "OKP", "crv": "Ed25519"},  # no kid
        "not a key",
    ]
    verifier = await make_verifier()
    for key in (weak, encryption):
        token = sign(key, claims(issuer.url), alg="RS256" if key is weak else "Ed25519")
        assert (await _refused(verifier, token)).reason == "unknown_key"
    await verifier.verify(sign(KEYS["ES256"], claims(issuer.url)))


# --- discovery --------------------------------------------------------------------------------


async def test_the_jwks_is_found_through_discovery(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier(jwks_url=None)
    await verifier.verify(sign(KEYS["RS256"], claims(issuer.url)))
    assert issuer.requests == ["/.well-known/openid-configuration", "/jwks"]


@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://evil.example", "jwks_uri": "JWKS"},
        {"issuer": "ISSUER"},
        {"issuer": "ISSUER", "jwks_uri": "file:///etc/passwd"},
        {"issuer": "ISSUER", "jwks_uri": 7},
    ],
)
async def test_a_discovery_document_that_does_not_fit_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier, document: dict[str, Any]
) -> None:
    issuer.discovery = {
        k: (issuer.url if v == "ISSUER" else issuer.jwks_url if v == "JWKS" else v)
        for k, v in document.items()
    }
    verifier = await make_verifier(jwks_url=None)
    with pytest.raises(IssuerUnavailable):
        await verifier.authenticate(sign(KEYS["RS256"], claims(issuer.url)))
    assert issuer.jwks_fetches == 0


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "algorithms", [("HS256",), ("RS256", "none"), ("RS256", "HS512"), (), ("A128KW",)]
)
def test_only_asymmetric_algorithms_can_be_allowed(algorithms: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        VerifierConfig("https://issuer", AUDIENCE, algorithms=algorithms)


def test_configuration_is_checked() -> None:
    for bad in ({"issuer": ""}, {"audience": ""}, {"leeway": -1}, {"leeway": 3600}):
        with pytest.raises(ValueError):
            VerifierConfig(**{"issuer": "https://i", "audience": AUDIENCE, **bad})
    config = VerifierConfig("https://i", AUDIENCE)
    assert config.algorithms == ("RS256", "ES256", "Ed25519")
    assert config.leeway == 30


async def test_an_algorithm_off_the_allowlist_is_refused(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier(algorithms=("Ed25519",))
    assert (await _refused(verifier, sign(KEYS["RS256"], claims(issuer.url)))).reason == (
        "unsupported_algorithm"
    )
    await verifier.verify(sign(KEYS["Ed25519"], claims(issuer.url)))


# --- the verified-token cache -----------------------------------------------------------------


async def test_a_cached_token_still_expires(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    verifier = await make_verifier(leeway=0)
    token = sign(KEYS["Ed25519"], claims(issuer.url, exp=int(time.time()) + 1))
    await verifier.verify(token)
    await asyncio.sleep(2.1)
    assert (await _refused(verifier, token)).reason == "expired"


async def test_the_cache_is_bounded_by_size_and_can_be_off(
    issuer: JwksServer, make_verifier: MakeVerifier
) -> None:
    from auth.tokens import _VerifiedTokens

    cache = _VerifiedTokens(max_bytes=25)
    for token in ("a" * 10, "b" * 10, "c" * 10):
        cache.put(token, 1, {})
    assert cache.get("a" * 10) is None  # the least recently used went first
    assert cache.get("c" * 10) is not None
    cache.put("d" * 30, 1, {})  # larger than the whole cache: not kept
    assert cache.get("d" * 30) is None

    verifier = await make_verifier(verified_cache_bytes=0)
    token = sign(KEYS["RS256"], claims(issuer.url))
    assert (await verifier.verify(token))["sub"] == (await verifier.verify(token))["sub"]
