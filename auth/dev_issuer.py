"""The development OIDC issuer of the embedded default: an Ed25519 signing key made once and kept
in the data folder, an ASGI app publishing its discovery document and public key set, and signed
access tokens for the sample users. For a developer's machine only: production tokens come from
the agency's identity provider, and the gateway verifies both the same way."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from joserfc import jwt
from joserfc.jwk import OKPKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth.sample_users import SampleUser
from auth.tokens import VerifierConfig

DEV_AUDIENCE: Final = "satu-anak"
DEV_ALGORITHM: Final = "Ed25519"
KEY_FILE: Final = "dev-issuer-key.json"
JWKS_PATH: Final = "/jwks.json"
DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
TOKEN_LIFETIME: Final = 8 * 3600  # one working day


def dev_issuer_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def load_signing_key(data_dir: Path) -> OKPKey:
    """The issuer's private key from `<data_dir>/dev-issuer-key.json`, made there on first use.

    Two processes starting at once (`up` and `token`) end with the same key: each writes its own
    to a temporary file and links it into place only if no key is there yet.
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fresh = OKPKey.generate_key(DEV_ALGORITHM, auto_kid=True)
        descriptor, temporary = tempfile.mkstemp(dir=data_dir, prefix=f".{KEY_FILE}.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump(fresh.as_dict(private=True), file)
            with contextlib.suppress(FileExistsError):  # another process made one first: use it
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = OKPKey.import_key(json.loads(path.read_text()))
    if not key.is_private or key.curve_name != DEV_ALGORITHM or not key.kid:
        raise ValueError(f"{path} does not hold an Ed25519 private key with a kid")
    return key


@dataclass(frozen=True)
class DevIssuer:
    """The issuer `url` (also the `iss` of its tokens) signing with `key` for `audience`."""

    url: str
    key: OKPKey
    audience: str = DEV_AUDIENCE

    @classmethod
    def from_data_dir(cls, data_dir: Path, url: str, audience: str = DEV_AUDIENCE) -> DevIssuer:
        return cls(url.rstrip("/"), load_signing_key(data_dir), audience)

    def jwks(self) -> dict[str, Any]:
        """The public key set: the public half of the signing key only."""
        public = self.key.as_dict(private=False, use="sig", alg=DEV_ALGORITHM)
        return {"keys": [public]}

    def discovery(self) -> dict[str, Any]:
        """The OpenID discovery document. There is no authorization or token endpoint: tokens come
        from `satu-anak token`, so the document tells only where the keys are."""
        return {
            "issuer": self.url,
            "jwks_uri": self.url + JWKS_PATH,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [DEV_ALGORITHM],
            "token_endpoint_auth_signing_alg_values_supported": [DEV_ALGORITHM],
            "claims_supported": [
                *("sub", "name", "roles", "agency", "unit", "regions", "staff_id"),
                *("iss", "aud", "exp", "iat", "nbf", "jti"),
            ],
        }

    def issue(
        self, user: SampleUser, *, now: int | None = None, lifetime: int = TOKEN_LIFETIME
    ) -> str:
        """A signed access token (RFC 9068 `at+jwt`) for `user`, valid from `now` for `lifetime`."""
        issued = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "jti": uuid.uuid4().hex,
            "client_id": "satu-anak-dev",
            **user.claims(),
        }
        header = {"alg": DEV_ALGORITHM, "kid": self.key.kid, "typ": "at+jwt"}
        return jwt.encode(header, claims, self.key, algorithms=[DEV_ALGORITHM])

    def verifier_config(self) -> VerifierConfig:
        """How a verifier (the gateway) accepts this issuer's tokens."""
        return VerifierConfig(
            issuer=self.url, audience=self.audience, jwks_url=self.url + JWKS_PATH
        )


def create_issuer_app(issuer: DevIssuer) -> Starlette:
    """The issuer over HTTP: discovery, key set, and a health route for `satu-anak up`."""
    discovery, jwks = issuer.discovery(), issuer.jwks()

    async def discovery_document(_request: Request) -> JSONResponse:
        return JSONResponse(discovery, headers={"cache-control": "max-age=300"})

    async def key_set(_request: Request) -> JSONResponse:
        return JSONResponse(jwks, headers={"cache-control": "max-age=300"})

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "dev-issuer"})

    return Starlette(
        routes=[
            Route(DISCOVERY_PATH, discovery_document),
            Route(JWKS_PATH, key_set),
            Route("/health", health),
        ]
    )
