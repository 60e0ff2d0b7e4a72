"""The bearer token of an `Authorization` header (RFC 6750), read without the JOSE stack."""

from __future__ import annotations

from auth.errors import InvalidToken


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer …` header; InvalidToken when there is none."""
    if not authorization:
        raise InvalidToken("missing")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("not_bearer")
    return token
