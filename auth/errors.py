"""Identity and purpose errors: each carries the HTTP status and code a client can act on, and a
message safe to show (never which check failed: that goes to the log as `reason`)."""

from __future__ import annotations

from typing import ClassVar, Final

# `extensions.code` values (the gateway answers with them before any subgraph is called).
UNAUTHENTICATED = "UNAUTHENTICATED"  # 401: no token, a malformed or invalid one
FORBIDDEN: Final = "FORBIDDEN"  # 403: a valid token whose role may not use Satu Anak
PURPOSE_NOT_ALLOWED: Final = (
    "PURPOSE_NOT_ALLOWED"  # 403: purpose missing, unknown, or not the role's
)
ISSUER_UNAVAILABLE = "ISSUER_UNAVAILABLE"  # 503: the issuer's keys cannot be fetched
# Denials of one category of one child (auth/policy; DOMAIN.md "Denial codes"), besides the two
# above: a consent, agreement or break-glass could allow it; being assigned to the case could.
CONSENT_REQUIRED: Final = "CONSENT_REQUIRED"
ASSIGNMENT_REQUIRED: Final = "ASSIGNMENT_REQUIRED"

# The `WWW-Authenticate` value of a 401 (RFC 6750 §3).
BEARER_INVALID_TOKEN = 'Bearer error="invalid_token"'


class AuthError(Exception):
    """Base of every identity and purpose error."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = ""
    message: ClassVar[str] = ""

    def __init__(self, reason: str) -> None:
        # `reason` is for logs and metrics (e.g. "expired", "unknown_key"); clients get `message`.
        super().__init__(f"{self.message} ({reason})")
        self.reason = reason


class InvalidToken(AuthError):
    """No token, or one that is malformed, unsigned, badly signed, expired, not for us, or whose
    claims cannot be read: 401 with `WWW-Authenticate: Bearer error="invalid_token"`."""

    status = 401
    code = UNAUTHENTICATED
    message = "The access token is missing, invalid or expired."
    www_authenticate = BEARER_INVALID_TOKEN


class InvalidClaims(InvalidToken):
    """A correctly signed token whose claims are missing or of the wrong type or form."""


class RoleNotAllowed(AuthError):
    """A valid token that carries no Satu Anak role, or a request naming a role the token lacks."""

    status = 403
    code = FORBIDDEN
    message = "This account has no role that may use Satu Anak for this request."


class PurposeNotAllowed(AuthError):
    """The request's purpose (`x-satu-anak-purpose`) is missing, unknown, or not one of the role's."""

    status = 403
    code = PURPOSE_NOT_ALLOWED
    message = "The declared purpose of use is missing or not allowed for this role."


class IssuerUnavailable(AuthError):
    """The issuer's discovery document or key set could not be fetched and none is cached."""

    status = 503
    code = ISSUER_UNAVAILABLE
    message = "The identity provider cannot be reached; try again shortly."
