"""Subgraph grants: what the gateway signs, and every way a subgraph's verifier refuses one."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from auth.grant import (
    GRANT_ALGORITHM,
    GRANT_ISSUER,
    GRANT_TYPE,
    Grantee,
    GrantKeyError,
    GrantSigner,
    GrantVerifier,
    InvalidGrant,
    body_hash,
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_key,
    record_claims,
)

KEY = OKPKey.generate_key(GRANT_ALGORITHM, private=True)
PUBLIC = OKPKey.import_key(KEY.as_dict(private=False))
OTHER_KEY = OKPKey.generate_key(GRANT_ALGORITHM, private=True)
BODY = b'{"query":"{ child(id: \\"ANK000000001\\") { name } }"}'
NOW = 1_800_000_000.0

FACILITATOR = Grantee(
    subject="pkh-fac-pekanbaru",
    role="pkh_facilitator",
    agency="pkh",
    unit="PKH-14.71.10",
    regions=("14.71",),
    purpose="pkh.verification",
    categories=frozenset({"identity.basic", "pkh.compliance"}),
    name="Rina Pendamping",
    staff_id="PKH-0007",
)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(clock: Clock | None = None, key: OKPKey = KEY, ttl: int = 30) -> GrantSigner:
    return GrantSigner(key, ttl=ttl, clock=clock or Clock())


def verifier(clock: Clock | None = None, audience: str = "pkh", **options: Any) -> GrantVerifier:
    return GrantVerifier([PUBLIC], audience, clock=clock or Clock(), **options)


def claims_of(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(jws.extract_compact(token.encode()).payload)
    return payload


def forged(claims: dict[str, Any], key: OKPKey = KEY, **header: Any) -> str:
    """A grant with any claims, signed with `key` (the gateway's unless said otherwise)."""
    protected = {"alg": GRANT_ALGORITHM, "kid": key_id(key), "typ": GRANT_TYPE, **header}
    return jws.serialize_compact(
        protected, json.dumps(claims).encode(), key, algorithms=[GRANT_ALGORITHM]
    )


def reason(token: str | None, body: bytes = BODY, check: GrantVerifier | None = None) -> str:
    with pytest.raises(InvalidGrant) as refused:
        (check or verifier()).verify(token, body)
    return refused.value.reason


def test_a_grant_names_the_principal_purpose_categories_body_and_a_short_life() -> None:
    token = signer().sign("pkh", FACILITATOR, BODY)
    claims = claims_of(token)
    assert claims["iss"] == GRANT_ISSUER and claims["aud"] == "pkh"
    assert claims["kind"] == "principal"
    assert claims["sub"] == "pkh-fac-pekanbaru" and claims["role"] == "pkh_facilitator"
    assert claims["agency"] == "pkh" and claims["unit"] == "PKH-14.71.10"
    assert claims["regions"] == ["14.71"] and claims["purpose"] == "pkh.verification"
    assert claims["staff_id"] == "PKH-0007" and claims["name"] == "Rina Pendamping"
    assert claims["cats"] == ["identity.basic", "pkh.compliance"]  # sorted
    assert claims["bh"] == body_hash(BODY)
    assert claims["exp"] - claims["iat"] == 30
    assert len(claims["jti"]) == 22  # 128 random bits, base64url
    header = jws.extract_compact(token.encode()).headers()
    assert header == {"alg": "Ed25519", "kid": key_id(KEY), "typ": GRANT_TYPE}

    grant = verifier().verify(token, BODY)
    assert grant.grantee == FACILITATOR
    assert grant.kind == "principal" and grant.audience == "pkh"


_RECORDS, _RECORD_TYPES = record_claims(
    {"protection.summary": ["12", "4", "4"], "protection.detail": []}, ["AtensiCase"]
)
RESTRICTED = dataclasses.replace(
    FACILITATOR,
    categories=frozenset({"identity.basic", "protection.summary", "protection.detail"}),
    records=_RECORDS,
    record_types=_RECORD_TYPES,
)


def test_a_per_record_restriction_round_trips_in_its_canonical_form() -> None:
    assert RESTRICTED.records == (("protection.detail", ()), ("protection.summary", ("12", "4")))
    assert RESTRICTED.record_types == ("AtensiCase",)
    hash(RESTRICTED)  # still usable as the in-flight sharing key
    token = signer().sign("pkh", RESTRICTED, BODY)
    claims = claims_of(token)
    assert claims["recs"] == {"protection.detail": [], "protection.summary": ["12", "4"]}
    assert claims["rtypes"] == ["AtensiCase"]
    assert verifier().verify(token, BODY).grantee == RESTRICTED
    # Without a restriction, no claim at all (grants as before).
    assert "recs" not in claims_of(signer().sign("pkh", FACILITATOR, BODY))
    # The same restriction given in any order makes the same grantee.
    again = record_claims(
        {"protection.summary": ("4", "12"), "protection.detail": ()}, ["AtensiCase"]
    )
    assert again == (RESTRICTED.records, RESTRICTED.record_types)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"recs": ["1"]}, "claim:recs"),
        ({"recs": {}}, "claim:recs"),
        ({"recs": {"protection.summary": [1]}}, "claim:recs"),
        ({"recs": {"protection.summary": [""]}}, "claim:recs"),
        ({"recs": {"protection.summary": [str(i) for i in range(1001)]}}, "claim:recs"),
        (
            {"recs": {f"c{n}": [str(i) for i in range(300)] for n in range(4)}},
            "claim:recs",
        ),
        ({"recs": {f"c{n}": [] for n in range(17)}}, "claim:recs"),
        ({"rtypes": []}, "claim:rtypes"),
        ({"rtypes": "AtensiCase"}, "claim:rtypes"),
        ({"rtypes": None}, "claim:rtypes"),
    ],
)
def test_a_per_record_restriction_of_the_wrong_form_or_an_absurd_size_is_refused(
    change: dict[str, Any], expected: str
) -> None:
    claims = claims_of(signer().sign("pkh", RESTRICTED, BODY))
    assert reason(forged({**claims, **change})) == expected


def test_a_restriction_without_its_types_or_types_alone_are_refused() -> None:
    claims = claims_of(signer().sign("pkh", RESTRICTED, BODY))
    assert reason(forged({k: v for k, v in claims.items() if k != "rtypes"})) == "claim:rtypes"
    assert reason(forged({k: v for k, v in claims.items() if k != "recs"})) == "claim:recs"


def test_a_service_grant_with_a_per_record_restriction_is_refused() -> None:
    claims = claims_of(signer().sign("pkh", None, BODY))
    assert reason(forged({**claims, "recs": {"protection.summary": ["1"]}})) == (
        "service_with_principal"
    )


def test_each_grant_is_new() -> None:
    sign = signer()
    first, second = sign.sign("pkh", FACILITATOR, BODY), sign.sign("pkh", FACILITATOR, BODY)
    assert claims_of(first)["jti"] != claims_of(second)["jti"]


def test_a_service_grant_carries_no_principal() -> None:
    token = signer().sign("pkh", None, BODY)
    assert set(claims_of(token)) == {"iss", "aud", "kind", "bh", "iat", "exp", "jti"}
    grant = verifier().verify(token, BODY)
    assert grant.grantee is None and grant.kind == "service"


def test_missing_or_malformed_grants_are_refused() -> None:
    assert reason(None) == "missing"
    assert reason("") == "missing"
    assert reason("not-a-jws") != ""
    assert reason("a.b.c") != ""
    assert reason("x" * 20_000) == "malformed"


def test_an_altered_body_is_refused() -> None:
    token = signer().sign("pkh", FACILITATOR, BODY)
    assert reason(token, BODY.replace(b"ANK000000001", b"ANK000000002")) == "body_hash"


def test_an_altered_grant_is_refused() -> None:
    token = signer().sign("pkh", FACILITATOR, BODY)
    head, _payload, signature = token.split(".")
    claims = claims_of(token)
    claims["cats"].append("protection.detail")  # widened, and kept under the old signature
    tampered = ".".join((head, forged(claims).split(".")[1], signature))
    assert reason(tampered) == "bad_signature"


def test_a_grant_signed_with_another_key_is_refused() -> None:
    stranger = signer(key=OTHER_KEY).sign("pkh", FACILITATOR, BODY)
    assert reason(stranger) == "unknown_key"
    # Claiming the gateway's key id does not help: the signature does not verify.
    claims = claims_of(signer().sign("pkh", FACILITATOR, BODY))
    impostor = forged(claims, OTHER_KEY, kid=key_id(KEY))
    assert reason(impostor) == "bad_signature"


def test_a_grant_for_another_subgraph_is_refused() -> None:
    token = signer().sign("balai", FACILITATOR, BODY)
    assert reason(token) == "audience"


def test_a_replayed_grant_is_refused() -> None:
    check = verifier()
    token = signer().sign("pkh", FACILITATOR, BODY)
    check.verify(token, BODY)
    assert reason(token, check=check) == "replayed"


def test_an_expired_grant_is_refused_after_the_leeway() -> None:
    clock = Clock()
    token = signer(clock).sign("pkh", FACILITATOR, BODY)
    clock.now += 30 + 5  # at the edge of the leeway: still accepted
    verifier(clock).verify(token, BODY)
    clock.now += 1
    assert reason(token, check=verifier(clock)) == "expired"


def test_a_grant_from_the_future_or_living_too_long_is_refused() -> None:
    future = signer(Clock(NOW + 60)).sign("pkh", FACILITATOR, BODY)
    assert reason(future) == "issued_in_future"
    claims = claims_of(signer().sign("pkh", FACILITATOR, BODY))
    claims["exp"] = claims["iat"] + 3600
    assert reason(forged(claims)) == "lifetime"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"iss": "someone-else"}, "issuer"),
        ({"aud": ["pkh", "balai"]}, "audience"),
        ({"exp": "soon"}, "times"),
        ({"jti": "short"}, "jti"),
        ({"kind": "superuser"}, "kind"),
        ({"regions": "14"}, "claim:regions"),
        ({"cats": [1]}, "claim:cats"),
        ({"sub": ""}, "claim:sub"),
    ],
)
def test_claims_of_the_wrong_form_are_refused(change: dict[str, Any], expected: str) -> None:
    claims = claims_of(signer().sign("pkh", FACILITATOR, BODY))
    assert reason(forged({**claims, **change})) == expected


def test_a_service_grant_claiming_a_principal_is_refused() -> None:
    claims = claims_of(signer().sign("pkh", FACILITATOR, BODY))
    assert reason(forged({**claims, "kind": "service"})) == "service_with_principal"


def test_only_eddsa_is_accepted() -> None:
    claims = claims_of(signer().sign("pkh", FACILITATOR, BODY))
    ec = ECKey.generate_key("P-256", private=True)
    token = jws.serialize_compact(
        {"alg": "ES256", "kid": key_id(KEY), "typ": GRANT_TYPE},
        json.dumps(claims).encode(),
        ec,
        algorithms=["ES256"],
    )
    assert reason(token) != ""
    unsigned = forged(claims).rsplit(".", 1)[0] + "."
    assert reason(unsigned) != ""


def test_replay_memory_forgets_expired_ids_and_fails_closed_when_full() -> None:
    clock = Clock()
    check = verifier(clock, max_remembered=2)
    sign = signer(clock)
    check.verify(sign.sign("pkh", FACILITATOR, BODY), BODY)
    check.verify(sign.sign("pkh", FACILITATOR, BODY), BODY)
    assert reason(sign.sign("pkh", FACILITATOR, BODY), check=check) == "replay_cache_full"
    clock.now += 36  # the remembered grants have expired: their ids are let go
    check.verify(sign.sign("pkh", FACILITATOR, BODY), BODY)


def test_key_files_pem_and_jwk(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    generate_key_pair(private, public)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_private_key(private)
    grant = GrantSigner(key).sign("pkh", FACILITATOR, BODY)
    GrantVerifier.from_files([public], "pkh").verify(grant, BODY)
    # A JWK file (and a one-key JWKS) works the same; the key id is the thumbprint either way.
    jwk = tmp_path / "k.pub.json"
    jwk.write_text(json.dumps({"keys": [key.as_dict(private=False, kid="whatever")]}))
    GrantVerifier.from_files([jwk], "pkh").verify(GrantSigner(key).sign("pkh", None, BODY), BODY)
    with pytest.raises(GrantKeyError, match="public key"):
        load_private_key(public)
    with pytest.raises(GrantKeyError, match="private key"):
        load_public_key(private)
    ec = tmp_path / "ec.pem"
    ec.write_bytes(ECKey.generate_key("P-256", private=True).as_pem(private=True))
    with pytest.raises(GrantKeyError):
        load_private_key(ec)
    with pytest.raises(GrantKeyError, match="cannot read"):
        load_private_key(tmp_path / "absent.pem")
    with pytest.raises(FileExistsError):
        generate_key_pair(private, public)  # never overwrites a key


def test_signer_and_verifier_refuse_unsafe_settings() -> None:
    with pytest.raises(GrantKeyError):
        GrantSigner(PUBLIC)  # a public key cannot sign
    with pytest.raises(ValueError, match="lifetime"):
        GrantSigner(KEY, ttl=3600)
    with pytest.raises(GrantKeyError):
        GrantVerifier([], "pkh")
    with pytest.raises(ValueError, match="audience"):
        GrantVerifier([PUBLIC], "")
    with pytest.raises(ValueError, match="leeway"):
        GrantVerifier([PUBLIC], "pkh", leeway=600)


def test_a_verifier_holds_several_keys_during_a_rotation() -> None:
    other = OKPKey.import_key(OTHER_KEY.as_dict(private=False))
    both = GrantVerifier([PUBLIC, other], "pkh", clock=Clock())
    both.verify(signer().sign("pkh", FACILITATOR, BODY), BODY)
    both.verify(signer(key=OTHER_KEY).sign("pkh", FACILITATOR, BODY), BODY)
